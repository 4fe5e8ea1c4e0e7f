import { sql } from 'kysely';
import type { Platform } from '../../platform.ts';
import { newUuid } from '../../lib/ids.ts';
import { enqueueWebhook } from './outbox.ts';

export interface DeliveryFilter {
  partnerId?: string | undefined;
  status?: 'pending' | 'delivered' | 'failed' | undefined;
  limit?: number | undefined;
}

export async function listDeliveries(platform: Platform, filter: DeliveryFilter) {
  let query = platform.db
    .selectFrom('webhook_deliveries')
    .select(['id', 'partner_id', 'transaction_id', 'seq', 'event_type', 'url', 'status', 'attempts', 'next_attempt_at', 'last_status_code', 'last_error', 'created_at', 'delivered_at'])
    .orderBy('created_at', 'desc')
    .limit(Math.min(filter.limit ?? 100, 1000));
  if (filter.partnerId) query = query.where('partner_id', '=', filter.partnerId);
  if (filter.status) query = query.where('status', '=', filter.status);
  return query.execute();
}

export async function getDelivery(platform: Platform, id: string) {
  const delivery = await platform.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  if (!delivery) return undefined;
  const attempts = await platform.db
    .selectFrom('webhook_attempts')
    .select(['attempt', 'started_at', 'status_code', 'latency_ms', 'error'])
    .where('delivery_id', '=', id)
    .orderBy('id') // in the order they were made: a replay numbers its attempts from 1 again
    .execute();
  return { ...delivery, attempts };
}

/**
 * A replay goes to the partner's webhook URL as it is now (the usual reason to replay is that the
 * partner fixed its endpoint), or where it was going if the partner no longer has one.
 */
const currentUrl = sql<string>`coalesce((select p.webhook_url from partners p where p.id = webhook_deliveries.partner_id), webhook_deliveries.url)`;

/** Sends a delivery again from scratch (same webhook-id, so receivers still de-duplicate it). */
export async function replayDelivery(platform: Platform, id: string): Promise<boolean> {
  const now = platform.clock.now();
  const result = await platform.db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, lease_until: null, updated_at: now, url: currentUrl })
    .where('id', '=', id)
    .where('status', '!=', 'pending')
    .executeTakeFirst();
  platform.wakeWebhookWorker?.();
  return result.numUpdatedRows > 0n;
}

/** Replays every failed delivery, optionally of one partner; returns how many. */
export async function replayFailed(platform: Platform, partnerId?: string): Promise<number> {
  const now = platform.clock.now();
  let query = platform.db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, lease_until: null, updated_at: now, url: currentUrl })
    .where('status', '=', 'failed');
  if (partnerId) query = query.where('partner_id', '=', partnerId);
  const result = await query.executeTakeFirst();
  platform.wakeWebhookWorker?.();
  return Number(result.numUpdatedRows);
}

/** Queues a `test` event to the partner's endpoint, signed like every other. */
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
  platform.wakeWebhookWorker?.();
  return id;
}

/**
 * Removes delivered messages (and their attempts) older than the retention period. Failed and
 * pending ones stay until an operator replays them; the transaction history is never purged.
 */
export async function purgeDeliveredBefore(platform: Platform, before: Date): Promise<number> {
  return platform.db.transaction().execute(async (trx) => {
    const old = trx.selectFrom('webhook_deliveries').select('id').where('status', '=', 'delivered').where('delivered_at', '<', before);
    await trx.deleteFrom('webhook_attempts').where('delivery_id', 'in', old).execute();
    const result = await trx.deleteFrom('webhook_deliveries').where('status', '=', 'delivered').where('delivered_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
