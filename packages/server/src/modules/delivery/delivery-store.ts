import { type Insertable, type Kysely, sql, type Transaction } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { addToChains, countByTransaction, recomputeHeads } from './delivery-queue.ts';
import type { DeliveryStatus, WebhookDeliveriesTable } from './tables.ts';

/**
 * Data access for webhook messages and their attempts. Every function runs on the `db` it is given;
 * the ones whose statements only make sense together take a `Transaction`, opened by the caller.
 */

export async function insertDeliveries(db: Kysely<Tables>, deliveries: ReadonlyArray<Insertable<WebhookDeliveriesTable>>): Promise<void> {
  if (deliveries.length > 0) await db.insertInto('webhook_deliveries').values(deliveries).execute();
}

export interface DeliveryFilter {
  partnerId?: string | undefined;
  status?: DeliveryStatus | undefined;
  limit?: number | undefined;
}

export async function listDeliveries(db: Kysely<Tables>, filter: DeliveryFilter) {
  let query = db
    .selectFrom('webhook_deliveries')
    .select([
      'id',
      'partner_id',
      'transaction_id',
      'seq',
      'event_type',
      'url',
      'status',
      'attempts',
      'next_attempt_at',
      'last_status_code',
      'last_error',
      'created_at',
      'delivered_at',
    ])
    .orderBy('created_at', 'desc')
    .limit(Math.min(filter.limit ?? 100, 1000));
  if (filter.partnerId) query = query.where('partner_id', '=', filter.partnerId);
  if (filter.status) query = query.where('status', '=', filter.status);
  return query.execute();
}

export async function getDelivery(db: Kysely<Tables>, id: string) {
  const delivery = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  if (!delivery) return undefined;
  const attempts = await db
    .selectFrom('webhook_attempts')
    .select(['attempt', 'trigger', 'started_at', 'status_code', 'latency_ms', 'error'])
    .where('delivery_id', '=', id)
    .orderBy('id') // in the order they were made: a replay numbers its attempts from 1 again
    .execute();
  return { ...delivery, attempts };
}

/**
 * A replay goes to the endpoint's URL as it is now (the usual reason to replay is that the partner
 * fixed its endpoint), or where it was going if the partner no longer has one.
 */
const currentUrl = sql<string>`coalesce((select e.url from webhook_endpoints e where e.partner_id = webhook_deliveries.partner_id), webhook_deliveries.url)`;

/**
 * Makes finished deliveries pending again from scratch (same webhook-id, so receivers still
 * de-duplicate them): one by id, or every failed one (of one partner, or all). Returns how many.
 * The next attempt of each is recorded as `manual`; a disabled endpoint's wait until it is enabled.
 * A replayed message goes back into its transaction's order: it waits for earlier pending ones, and
 * later ones wait for it.
 */
export async function requeueDeliveries(
  trx: Transaction<Tables>,
  which: { id: string; now: Date } | { failedOf: string | undefined; now: Date },
): Promise<number> {
  const { now } = which;
  let query = trx.updateTable('webhook_deliveries').set({
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    lease_until: null,
    updated_at: now,
    url: currentUrl,
    next_trigger: 'manual',
    claimable_at: null,
  });
  if ('id' in which) query = query.where('id', '=', which.id).where('status', '!=', 'pending');
  else {
    query = query.where('status', '=', 'failed');
    if (which.failedOf) query = query.where('partner_id', '=', which.failedOf);
  }
  const replayed = await query.returning(['id', 'transaction_id']).execute();
  const added = countByTransaction(replayed.map((row) => row.transaction_id));
  await addToChains(trx, added);
  const events = replayed.filter((row) => row.transaction_id === null).map((row) => row.id);
  await recomputeHeads(trx, { transactionIds: [...added.keys()], ids: events });
  return replayed.length;
}

/** Deletes delivered messages older than `before` with their attempts. */
export async function deleteDeliveredBefore(trx: Transaction<Tables>, before: Date): Promise<number> {
  const old = trx.selectFrom('webhook_deliveries').select('id').where('status', '=', 'delivered').where('delivered_at', '<', before);
  await trx.deleteFrom('webhook_attempts').where('delivery_id', 'in', old).execute();
  const result = await trx
    .deleteFrom('webhook_deliveries')
    .where('status', '=', 'delivered')
    .where('delivered_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
