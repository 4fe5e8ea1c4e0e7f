import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { DeliveryStatus, WebhookDeliveriesTable } from './tables.ts';

/**
 * Data access for webhook messages and their attempts. Every function runs on the `db` it is given;
 * the ones whose statements only make sense together take a `Transaction`, opened by the caller.
 */

export type Delivery = Selectable<WebhookDeliveriesTable>;

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
 */
export async function requeueDeliveries(
  db: Kysely<Tables>,
  which: { id: string; now: Date } | { failedOf: string | undefined; now: Date },
): Promise<number> {
  const { now } = which;
  let query = db.updateTable('webhook_deliveries').set({
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    lease_until: null,
    updated_at: now,
    url: currentUrl,
    next_trigger: 'manual',
  });
  if ('id' in which) query = query.where('id', '=', which.id).where('status', '!=', 'pending');
  else {
    query = query.where('status', '=', 'failed');
    if (which.failedOf) query = query.where('partner_id', '=', which.failedOf);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
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

/**
 * Leases due deliveries whose earlier siblings (same transaction) are all done and whose endpoint is
 * not disabled (a disabled endpoint's messages wait, in order, until it is enabled). Leases make each
 * attempt one worker's; a worker that dies mid-attempt leaves its lease to run out, and the message
 * is then tried again (delivery is at least once; receivers de-duplicate on webhook-id). The row
 * locks taken here hold until the caller's transaction ends, so it should end right after.
 */
export async function claimDueDeliveries(
  trx: Transaction<Tables>,
  claim: { now: Date; limit: number; leaseMs: number; exclude: string[] },
): Promise<Delivery[]> {
  const { now, limit, exclude } = claim;
  const leaseUntil = new Date(now.getTime() + claim.leaseMs);
  const notMine = exclude.length === 0 ? sql`true` : sql`d.id not in (${sql.join(exclude)})`;
  const due = await sql<{ id: string }>`
    select d.id from webhook_deliveries d
    where d.status = 'pending' and d.next_attempt_at <= ${now} and (d.lease_until is null or d.lease_until < ${now}) and ${notMine}
      and not exists (
        select 1 from webhook_deliveries e
        where e.transaction_id = d.transaction_id and e.seq < d.seq and e.status = 'pending'
      )
      and not exists (select 1 from webhook_endpoints w where w.partner_id = d.partner_id and not w.enabled)
    order by d.next_attempt_at, d.created_at
    limit ${limit}
    for update skip locked`.execute(trx);
  if (due.rows.length === 0) return [];
  return trx
    .updateTable('webhook_deliveries')
    .set((eb) => ({ lease_until: leaseUntil, attempts: eb('attempts', '+', 1), updated_at: now }))
    .where(
      'id',
      'in',
      due.rows.map((row) => row.id),
    )
    .returningAll()
    .execute();
}

export interface AttemptOutcome {
  delivery: Delivery;
  startedAt: Date;
  finishedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** The delivery's state after this attempt. */
  status: DeliveryStatus;
  /** When to try again; ignored unless the status stays pending. */
  nextAttemptAt: Date;
}

/** Stores an attempt and the delivery's new state, in the caller's transaction so they commit together. */
export async function recordAttempt(trx: Transaction<Tables>, outcome: AttemptOutcome): Promise<void> {
  const { delivery } = outcome;
  await trx
    .insertInto('webhook_attempts')
    .values({
      delivery_id: delivery.id,
      attempt: delivery.attempts,
      started_at: outcome.startedAt,
      status_code: outcome.statusCode,
      latency_ms: outcome.latencyMs,
      error: outcome.error,
      trigger: delivery.next_trigger,
    })
    .execute();
  await trx
    .updateTable('webhook_deliveries')
    .set({
      status: outcome.status,
      next_attempt_at: outcome.nextAttemptAt,
      lease_until: null,
      last_status_code: outcome.statusCode,
      last_error: outcome.error,
      updated_at: outcome.finishedAt,
      delivered_at: outcome.status === 'delivered' ? outcome.finishedAt : null,
      // Only the attempt right after a replay is manual; its retries are the schedule's.
      next_trigger: 'scheduled',
    })
    .where('id', '=', delivery.id)
    // Only this claim's outcome: if the lease ran out and another worker took the delivery
    // since, its newer attempt decides the state.
    .where('attempts', '=', delivery.attempts)
    .execute();
}
