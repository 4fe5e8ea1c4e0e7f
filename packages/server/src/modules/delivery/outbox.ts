import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { randomBase62 } from '../../lib/ids.ts';
import { insertDeliveries } from './delivery-store.ts';
import { findWebhookUrl } from './webhook-endpoint-store.ts';

export interface WebhookToQueue {
  partnerId: string;
  transactionId: string | null;
  seq: number;
  eventType: string;
  payload: Record<string, unknown>;
  now: Date;
}

/**
 * Queues a webhook for the partner's endpoint, inside the caller's database transaction; nothing is
 * queued when the partner takes no webhooks. Returns the message id (the `webhook-id` receivers see).
 */
export async function enqueueWebhook(trx: Kysely<Tables>, delivery: WebhookToQueue): Promise<string | null> {
  return (await enqueueWebhooks(trx, [delivery]))[0] ?? null;
}

/**
 * The set-wise form for jobs that change many transactions in one database transaction: one
 * endpoint lookup per partner and one insert for the batch. Returns each message's id, or null
 * where its partner takes no webhooks, in the order given.
 */
export async function enqueueWebhooks(trx: Kysely<Tables>, deliveries: readonly WebhookToQueue[]): Promise<Array<string | null>> {
  const urls = new Map<string, string | undefined>();
  for (const { partnerId } of deliveries) {
    if (!urls.has(partnerId)) urls.set(partnerId, await findWebhookUrl(trx, partnerId));
  }
  const ids = deliveries.map((delivery) => (urls.get(delivery.partnerId) ? `msg_${randomBase62(24)}` : null));
  const rows = deliveries.flatMap((delivery, index) => {
    const id = ids[index];
    const url = urls.get(delivery.partnerId);
    if (!id || !url) return [];
    return [
      {
        id,
        partner_id: delivery.partnerId,
        transaction_id: delivery.transactionId,
        seq: delivery.seq,
        event_type: delivery.eventType,
        url,
        payload: JSON.stringify(delivery.payload),
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: delivery.now,
        lease_until: null,
        last_status_code: null,
        last_error: null,
        created_at: delivery.now,
        updated_at: delivery.now,
        delivered_at: null,
      },
    ];
  });
  await insertDeliveries(trx, rows);
  return ids;
}
