import { newUuid } from '../../lib/ids.ts';
import type { Platform } from '../../platform.ts';
import { deleteDeliveredBefore, requeueDeliveries } from './delivery-store.ts';
import { enqueueWebhook } from './outbox.ts';
import { type EndpointHealth, enableEndpoint, findEndpointHealth } from './webhook-endpoint-store.ts';

/** What operators do with deliveries (admin API and `proof webhooks`); reads go to delivery-store directly. */

/** Sends a delivery again from scratch; false when it is already pending. */
export async function replayDelivery(platform: Platform, id: string): Promise<boolean> {
  const replayed = await platform.db.transaction().execute((trx) => requeueDeliveries(trx, { id, now: platform.clock.now() }));
  platform.outboxNotifier.notify();
  return replayed > 0;
}

/** Replays every failed delivery, optionally of one partner; returns how many. */
export async function replayFailed(platform: Platform, partnerId?: string): Promise<number> {
  const replayed = await platform.db
    .transaction()
    .execute((trx) => requeueDeliveries(trx, { failedOf: partnerId, now: platform.clock.now() }));
  platform.outboxNotifier.notify();
  return replayed;
}

/** The partner's endpoint health (disabled, why, since when, failing since, messages waiting); undefined when it has none. */
export function webhookEndpointHealth(platform: Platform, partnerId: string): Promise<EndpointHealth | undefined> {
  return findEndpointHealth(platform.db, partnerId);
}

/**
 * Enables the partner's disabled endpoint: everything that waited is due at once and goes out oldest
 * first, each transaction's messages in order. `released` is how many messages were waiting (0 when
 * the endpoint was not disabled); undefined when the partner has no endpoint.
 */
export async function enableWebhookEndpoint(
  platform: Platform,
  partnerId: string,
): Promise<(EndpointHealth & { released: number }) | undefined> {
  const now = platform.clock.now();
  const released = await platform.db.transaction().execute((trx) => enableEndpoint(trx, { partnerId, now }));
  const health = await findEndpointHealth(platform.db, partnerId);
  if (!health) return undefined;
  if (released !== null) {
    platform.logger.info({ partner_id: partnerId, released }, 'webhook endpoint enabled');
    platform.outboxNotifier.notify();
  }
  return { ...health, released: released ?? 0 };
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
