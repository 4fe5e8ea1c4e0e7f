import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { randomBase62 } from '../../lib/ids.ts';
import { addToChains, countByTransaction } from './delivery-queue.ts';
import { insertDeliveries } from './delivery-store.ts';
import { findWebhookTarget } from './webhook-endpoint-store.ts';

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
  const targets = new Map<string, { url: string; enabled: boolean } | undefined>();
  for (const { partnerId } of deliveries) {
    if (!targets.has(partnerId)) targets.set(partnerId, await findWebhookTarget(trx, partnerId));
  }
  const queued = deliveries.flatMap((delivery) => {
    const target = targets.get(delivery.partnerId);
    return target ? [{ delivery, target, id: `msg_${randomBase62(24)}` }] : [];
  });
  const added = countByTransaction(queued.map(({ delivery }) => delivery.transactionId));
  // A message is its transaction's head when nothing of the transaction was pending before this call
  // and it is the earliest of the ones queued now; the chain row's lock makes that answer exact.
  const pendingBefore = await addToChains(trx, added);
  const firstSeq = new Map<string, number>();
  for (const { delivery } of queued) {
    const id = delivery.transactionId;
    if (id && (firstSeq.get(id) ?? Number.POSITIVE_INFINITY) > delivery.seq) firstSeq.set(id, delivery.seq);
  }
  const isHead = (delivery: WebhookToQueue) =>
    delivery.transactionId === null ||
    (pendingBefore.get(delivery.transactionId) === 0 && firstSeq.get(delivery.transactionId) === delivery.seq);
  await insertDeliveries(
    trx,
    queued.map(({ delivery, target, id }) => ({
      id,
      partner_id: delivery.partnerId,
      transaction_id: delivery.transactionId,
      seq: delivery.seq,
      event_type: delivery.eventType,
      url: target.url,
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
      claimable_at: target.enabled && isHead(delivery) ? delivery.now : null,
    })),
  );
  const ids = new Map(queued.map(({ delivery, id }) => [delivery, id]));
  return deliveries.map((delivery) => ids.get(delivery) ?? null);
}
