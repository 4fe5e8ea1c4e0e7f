import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { InboundEvent } from './inbound-event.ts';
import type { ProviderEventsTable } from './tables.ts';

export type StoredEvent = Selectable<ProviderEventsTable>;

/** Stores a verified event unless this provider already delivered that event id; true when it is new. */
export async function insertInboundEvent(
  db: Kysely<Tables>,
  values: { provider: string; event: InboundEvent; rawSealed: string; now: Date },
): Promise<boolean> {
  const inserted = await db
    .insertInto('provider_events')
    .values({
      provider: values.provider,
      event_id: values.event.eventId,
      kind: values.event.kind,
      event: JSON.stringify(values.event),
      raw_enc: values.rawSealed,
      status: 'pending',
      attempts: 0,
      next_attempt_at: values.now,
      lease_until: null,
      last_error: null,
      received_at: values.now,
      applied_at: null,
    })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Leases up to `limit` due events, oldest first, to one worker (FOR UPDATE SKIP LOCKED: the workers of
 * several nodes never take the same one). A worker that dies leaves its lease to run out; the event
 * is then applied again, which handlers must allow.
 */
export async function claimDueEvents(
  trx: Transaction<Tables>,
  claim: { now: Date; limit: number; leaseMs: number },
): Promise<StoredEvent[]> {
  const due = await sql<{ id: string }>`
    select id from provider_events
    where status = 'pending' and next_attempt_at <= ${claim.now} and (lease_until is null or lease_until < ${claim.now})
    order by next_attempt_at, id
    limit ${claim.limit}
    for update skip locked`.execute(trx);
  if (due.rows.length === 0) return [];
  const claimed = await trx
    .updateTable('provider_events')
    .set((eb) => ({ lease_until: new Date(claim.now.getTime() + claim.leaseMs), attempts: eb('attempts', '+', 1) }))
    .where(
      'id',
      'in',
      due.rows.map((row) => row.id),
    )
    .returningAll()
    .execute();
  return claimed.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
}

export async function markApplied(db: Kysely<Tables>, id: string, now: Date): Promise<void> {
  await db
    .updateTable('provider_events')
    .set({ status: 'applied', applied_at: now, lease_until: null, last_error: null })
    .where('id', '=', id)
    .execute();
}

/** Records a failed application: retried at `retryAt`, or given up on (`dead`) when that is null. */
export async function markFailed(db: Kysely<Tables>, id: string, failure: { error: string; retryAt: Date | null }): Promise<void> {
  await db
    .updateTable('provider_events')
    .set({
      status: failure.retryAt ? 'pending' : 'dead',
      next_attempt_at: failure.retryAt ?? sql`next_attempt_at`,
      lease_until: null,
      last_error: failure.error.slice(0, 500),
    })
    .where('id', '=', id)
    .execute();
}
