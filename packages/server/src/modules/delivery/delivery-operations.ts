import { newUuid } from '../../lib/ids.ts';
import type { Platform } from '../../platform.ts';
import { deleteDeliveredBefore, requeueDeliveries } from './delivery-store.ts';
import { enqueueWebhook } from './outbox.ts';

/** What operators do with deliveries (admin API and `proof webhooks`); reads go to delivery-store directly. */

/** Sends a delivery again from scratch; false when it is already pending. */
export async function replayDelivery(platform: Platform, id: string): Promise<boolean> {
  const replayed = await requeueDeliveries(platform.db, { id, now: platform.clock.now() });
  platform.outboxNotifier.notify();
  return replayed > 0;
}

/** Replays every failed delivery, optionally of one partner; returns how many. */
export async function replayFailed(platform: Platform, partnerId?: string): Promise<number> {
  const replayed = await requeueDeliveries(platform.db, { failedOf: partnerId, now: platform.clock.now() });
  platform.outboxNotifier.notify();
  return replayed;
}

/** Queues a `test` event to the partner's endpoint, signed like every other; null when it has no URL. */
export async function sendTestEvent(platform: Platform, partnerId: string): Promise<string | null> {
  const now = platform.clock.now();
  const id = await platform.db.transaction().execute((trx) =>
    enqueueWebhook(trx, {
      partnerId,
      transactionId: null,
      seq: 0,
      eventType: 'test',
      payload: { event: 'test', test_id: newUuid(), message: 'Test event from Proof Ramp', created_at: now.toISOString() },
      now,
    }),
  );
  platform.outboxNotifier.notify();
  return id;
}

/**
 * Removes delivered messages (and their attempts) older than `before`. Failed and pending ones stay
 * until an operator replays them; the transaction history is never purged.
 */
export async function purgeDeliveredBefore(platform: Platform, before: Date): Promise<number> {
  return platform.db.transaction().execute((trx) => deleteDeliveredBefore(trx, before));
}
