import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { randomBase62 } from '../../lib/ids.ts';
import { insertDelivery } from './delivery-store.ts';
import { findWebhookUrl } from './webhook-endpoint-store.ts';

/**
 * Queues a webhook for the partner's endpoint, inside the caller's database transaction; nothing is
 * queued when the partner takes no webhooks. Returns the message id (the `webhook-id` receivers see).
 */
export async function enqueueWebhook(
  trx: Kysely<Tables>,
  delivery: {
    partnerId: string;
    transactionId: string | null;
    seq: number;
    eventType: string;
    payload: Record<string, unknown>;
    now: Date;
  },
): Promise<string | null> {
  const url = await findWebhookUrl(trx, delivery.partnerId);
  if (!url) return null;
  const id = `msg_${randomBase62(24)}`;
  await insertDelivery(trx, {
    id,
    partner_id: delivery.partnerId,
    transaction_id: delivery.transactionId,
    seq: delivery.seq,
    event_type: delivery.eventType,
    url,
    payload: JSON.stringify(delivery.payload),
    status: 'pending',
    attempts: 0,
    next_attempt_at: delivery.now,
    lease_until: null,
    last_status_code: null,
    last_error: null,
    created_at: delivery.now,
    updated_at: delivery.now,
    delivered_at: null,
  });
  return id;
}
