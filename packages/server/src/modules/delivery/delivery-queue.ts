import { type Kysely, type RawBuilder, type Selectable, sql, type Transaction } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { DeliveryStatus, WebhookDeliveriesTable } from './tables.ts';

export type Delivery = Selectable<WebhookDeliveriesTable>;

/**
 * The webhook queue's bookkeeping, set-wise. Only the first pending message of each transaction (its
 * head) is ever claimable, and only while its endpoint is enabled: `claimable_at` is set on heads and
 * null on everything that waits, and the claim reads a partial index on it, so its cost does not grow
 * with the messages waiting behind a failing one or for a disabled endpoint. `webhook_chains` counts
 * each transaction's pending messages; queuing and finishing a message both update that row, whose
 * lock decides which of them makes the next message the head.
 *
 * Locks are taken in one order (endpoint rows, then chain rows by transaction id, then pending
 * message rows), so concurrent queuing, recording, replays and enabling cannot deadlock each other.
 * A replay takes its finished messages before the chains, but no recording ever locks a finished
 * message; the claim skips locked messages and waits for nothing.
 */

/** A claimed message, with what its attempt needs. */
export interface ClaimedDelivery
  extends Pick<Delivery, 'id' | 'partner_id' | 'transaction_id' | 'seq' | 'url' | 'attempts' | 'next_attempt_at' | 'next_trigger'> {
  /** The payload as stored, sent as it is: no parsing and serialising it again per attempt. */
  body: string;
  /** The endpoint's sealed secrets as read with the claim: null when the partner has no endpoint any more. */
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
}

export interface Claim {
  now: Date;
  limit: number;
  leaseMs: number;
  /** Messages this worker still holds (their leases may have run out meanwhile): never claimed twice. */
  exclude: readonly string[];
}

/**
 * Leases up to `limit` due heads, oldest first, with their endpoint's secrets; a head whose endpoint
 * turned out disabled is parked (made unclaimable) instead, and `enableEndpoint` makes it claimable
 * again. One statement: it runs inside the caller's transaction or alone. A leased message stays in
 * the index (it is read past while the lease lasts: at most what the workers hold): the claim then
 * changes no indexed column, so PostgreSQL can update the row in place (a HOT update: the table's
 * pages are kept half full to leave each row room for it).
 */
export async function claimDeliveries(db: Kysely<Tables>, claim: Claim): Promise<ClaimedDelivery[]> {
  if (claim.limit <= 0) return [];
  return (await claimStatement(claim).execute(db)).rows;
}

/** The claim's statement, apart so its plan can be examined. */
export function claimStatement(claim: Claim): RawBuilder<ClaimedDelivery> {
  const { now } = claim;
  const leaseUntil = new Date(now.getTime() + claim.leaseMs);
  const notMine = claim.exclude.length === 0 ? sql`true` : sql`d.id not in (${sql.join([...claim.exclude])})`;
  // The endpoint is read once per due message, with it: whether it is disabled, and its secrets.
  return sql<ClaimedDelivery>`
    with due as (
      select d.id, coalesce(not w.enabled, false) as disabled,
        w.secret_enc, w.previous_secret_enc, w.previous_secret_expires_at
      from webhook_deliveries d left join webhook_endpoints w on w.partner_id = d.partner_id
      where d.claimable_at <= ${now} and (d.lease_until is null or d.lease_until < ${now}) and ${notMine}
      order by d.claimable_at
      limit ${claim.limit}
      for update of d skip locked
    ),
    parked as (
      update webhook_deliveries d set claimable_at = null
      from due where d.id = due.id and due.disabled
      returning d.id
    ),
    claimed as (
      update webhook_deliveries d
      set lease_until = ${leaseUntil}, attempts = d.attempts + 1, updated_at = ${now}
      from due where d.id = due.id and not due.disabled
      returning d.id, d.partner_id, d.transaction_id, d.seq, d.url, d.attempts, d.next_attempt_at, d.next_trigger, d.created_at,
        d.payload::text as body, due.secret_enc, due.previous_secret_enc, due.previous_secret_expires_at
    )
    select * from claimed order by next_attempt_at, created_at`;
}

/** Gives back claims this worker will not attempt (it is stopping): claimable again at once, their attempt uncounted. */
export async function releaseClaims(db: Kysely<Tables>, claims: ReadonlyArray<Pick<Delivery, 'id' | 'attempts'>>): Promise<void> {
  if (claims.length === 0) return;
  // Two array parameters whatever the count (a VALUES list took two parameters per claim).
  await sql`
    update webhook_deliveries d
    set lease_until = null, attempts = d.attempts - 1
    from unnest(${claims.map((claim) => claim.id)}::text[], ${claims.map((claim) => claim.attempts)}::int[]) as v(id, attempts)
    where d.id = v.id and d.attempts = v.attempts and d.status = 'pending'`.execute(db);
}

export interface AttemptOutcome {
  delivery: Pick<Delivery, 'id' | 'transaction_id' | 'attempts' | 'next_trigger'>;
  startedAt: Date;
  finishedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** The message's state after this attempt. */
  status: DeliveryStatus;
  /** When to try again (the status stays pending); the claimed message's own time otherwise. */
  nextAttemptAt: Date;
  /** False when the message must wait, unclaimable, for its endpoint to be enabled (it answered 410). */
  claimable: boolean;
}

/**
 * Records attempts and their messages' new states, in the caller's transaction so they commit
 * together, in two statements whatever the batch's size (columns go as arrays): first the chain rows
 * of the transactions whose message is finishing are locked (in transaction id order), the attempts
 * inserted and the messages updated (each only if its claim is still the latest: if its lease ran out
 * and another worker took it since, that newer attempt decides); then each finished message is
 * counted off its chain and the chain's next message becomes the head. The lock comes a statement
 * before the head is looked for, so a message queued meanwhile has committed and is seen.
 */
export async function recordAttempts(trx: Transaction<Tables>, outcomes: readonly AttemptOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const updated = await recordStatement(outcomes).execute(trx);
  const finished = countByTransaction(updated.rows.filter((row) => row.status !== 'pending').map((row) => row.transaction_id));
  if (finished.size > 0) await finishInChains(trx, finished);
}

/** The first of the recording's statements (attempts, messages and chain locks), apart so its plan can be examined. */
export function recordStatement(
  outcomes: readonly AttemptOutcome[],
): RawBuilder<{ transaction_id: string | null; status: DeliveryStatus }> {
  const finishing = [
    ...new Set(outcomes.flatMap((o) => (o.status !== 'pending' && o.delivery.transaction_id ? [o.delivery.transaction_id] : []))),
  ].sort();
  // One JSON parameter for the batch, times in epoch milliseconds: JSON.stringify is native, and
  // pg's array literals (a Date formatted per element) cost the worker more than the query.
  const rows = JSON.stringify(
    outcomes.map((o) => ({
      id: o.delivery.id,
      attempts: o.delivery.attempts,
      status: o.status,
      next_attempt_ms: o.nextAttemptAt.getTime(),
      status_code: o.statusCode,
      error: o.error,
      started_ms: o.startedAt.getTime(),
      finished_ms: o.finishedAt.getTime(),
      latency_ms: o.latencyMs,
      trigger: o.delivery.next_trigger,
      claimable: o.claimable,
    })),
  );
  // Only the attempt right after a replay is manual; its retries are the schedule's.
  return sql<{ transaction_id: string | null; status: DeliveryStatus }>`
    with locked as (
      select transaction_id from webhook_chains where transaction_id = any(${finishing}::uuid[]) order by transaction_id for update
    ),
    v as (
      select id, attempts, status, status_code, error, latency_ms, trigger, claimable,
        to_timestamp(next_attempt_ms / 1000.0) as next_attempt_at, to_timestamp(started_ms / 1000.0) as started_at,
        to_timestamp(finished_ms / 1000.0) as finished_at
      from json_to_recordset(${rows}::json) as r(
        id text, attempts int, status text, next_attempt_ms float8, status_code int, error text,
        started_ms float8, finished_ms float8, latency_ms int, trigger text, claimable boolean
      )
    ),
    attempts as (
      insert into webhook_attempts (delivery_id, attempt, started_at, status_code, latency_ms, error, trigger)
      select id, attempts, started_at, status_code, latency_ms, error, trigger from v
    )
    update webhook_deliveries d set
      status = v.status,
      next_attempt_at = v.next_attempt_at,
      lease_until = null,
      claimable_at = case when v.status = 'pending' and v.claimable and not ${earlierPending(sql.ref('d'))} then v.next_attempt_at end,
      last_status_code = v.status_code,
      last_error = v.error,
      updated_at = v.finished_at,
      delivered_at = case when v.status = 'delivered' then v.finished_at end,
      next_trigger = 'scheduled'
    from v
    -- The count of locked chains is a one-time condition (an init plan, run once before the first row
    -- is updated), so the locks are all taken before any message is. Joined instead, it was counted
    -- again for every message: quadratic in the batch, most of the recording's time at 512 a batch.
    where d.id = v.id and d.attempts = v.attempts and (select count(*) from locked) >= 0
    returning d.transaction_id, d.status`;
}

/**
 * Counts finished messages off their transactions' chains (a chain left empty is deleted) and makes
 * each continuing chain's first pending message its head (parked instead when its endpoint is disabled).
 */
async function finishInChains(trx: Transaction<Tables>, finished: ReadonlyMap<string, number>): Promise<void> {
  await sql`
    with v as (select * from unnest(${[...finished.keys()]}::uuid[], ${[...finished.values()]}::int[]) as v(transaction_id, n)),
    emptied as (
      delete from webhook_chains c using v where c.transaction_id = v.transaction_id and c.pending <= v.n
    ),
    continuing as (
      update webhook_chains c set pending = c.pending - v.n from v
      where c.transaction_id = v.transaction_id and c.pending > v.n
      returning c.transaction_id
    )
    update webhook_deliveries d
    set claimable_at = case when ${endpointDisabled(sql.ref('d.partner_id'))} then null else d.next_attempt_at end
    from continuing
    cross join lateral (
      select e.id from webhook_deliveries e where e.transaction_id = continuing.transaction_id and e.status = 'pending' order by e.seq limit 1
    ) head
    where d.id = head.id`.execute(trx);
}

/** Adds newly pending messages to their transactions' chains; returns, per transaction, how many were pending before. */
export async function addToChains(db: Kysely<Tables>, added: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const before = new Map<string, number>();
  if (added.size === 0) return before;
  // Sorted, so chain rows are locked in the same order by every writer.
  const rows = [...added].sort(([a], [b]) => (a < b ? -1 : 1));
  const result = await db
    .insertInto('webhook_chains')
    .values(rows.map(([transaction_id, pending]) => ({ transaction_id, pending })))
    .onConflict((oc) =>
      oc.column('transaction_id').doUpdateSet((eb) => ({ pending: sql`${eb.ref('webhook_chains.pending')} + excluded.pending` })),
    )
    .returning(['transaction_id', 'pending'])
    .execute();
  for (const row of result) before.set(row.transaction_id, row.pending - (added.get(row.transaction_id) ?? 0));
  return before;
}

/**
 * Sets `claimable_at` again on the pending messages `which` selects (a partner's; or every one of
 * some transactions, and some messages by id), from scratch: heads become
 * claimable at their next attempt (a lease still running keeps them from being claimed meanwhile),
 * everything else waits. For replays and enabled endpoints, which change what waits for what.
 */
export async function recomputeHeads(
  db: Kysely<Tables>,
  which: { partnerId: string } | { transactionIds: readonly string[]; ids?: readonly string[] },
): Promise<void> {
  let scope: RawBuilder<unknown>;
  if ('partnerId' in which) scope = sql`d.partner_id = ${which.partnerId}`;
  else {
    const ids = which.ids ?? [];
    if (which.transactionIds.length === 0 && ids.length === 0) return;
    const inTransactions = which.transactionIds.length > 0 ? sql`d.transaction_id in (${sql.join([...which.transactionIds])})` : sql`false`;
    scope = ids.length > 0 ? sql`(${inTransactions} or d.id in (${sql.join([...ids])}))` : inTransactions;
  }
  await sql`
    update webhook_deliveries d
    set claimable_at = case
      when ${endpointDisabled(sql.ref('d.partner_id'))} or ${earlierPending(sql.ref('d'))} then null
      else d.next_attempt_at end
    where d.status = 'pending' and ${scope}`.execute(db);
}

/** How many of the messages belong to each transaction (test events, which belong to none, are left out). */
export function countByTransaction(transactionIds: ReadonlyArray<string | null>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of transactionIds) if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

function endpointDisabled(partnerId: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from webhook_endpoints w where w.partner_id = ${partnerId} and not w.enabled)`;
}

/** Whether an earlier message of the row's transaction is still pending (test events belong to none). */
function earlierPending(row: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`exists (
    select 1 from webhook_deliveries e where e.transaction_id = ${row}.transaction_id and e.seq < ${row}.seq and e.status = 'pending')`;
}
