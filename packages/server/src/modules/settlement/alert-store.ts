import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { AlertKind } from './transfer-vocabulary.ts';

/** Operator alerts: one open row per key, counted up while the condition lasts, resolved when it ends. */

export interface AlertInput {
  kind: AlertKind;
  /** What the alert is about, within its kind (a transfer id, a network): one open alert per kind and subject. */
  subject: string;
  network: string;
  asset?: string | null;
  walletAddress?: string | null;
  transferId?: string | null;
  transactionId?: string | null;
  message: string;
  now: Date;
}

const keyOf = (kind: AlertKind, subject: string) => `${kind}:${subject}`;

/** Opens the alert, or counts one more occurrence of the open one; true when it was opened now. */
export async function raiseAlert(db: Kysely<Tables>, alert: AlertInput): Promise<boolean> {
  const key = keyOf(alert.kind, alert.subject);
  const updated = await db
    .updateTable('settlement_alerts')
    .set((eb) => ({ occurrences: eb('occurrences', '+', 1), last_seen_at: alert.now, message: alert.message }))
    .where('key', '=', key)
    .where('resolved_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (updated) return false;
  // Two nodes raising the same alert at once meet on the partial unique index; the loser counts instead.
  const inserted = await db
    .insertInto('settlement_alerts')
    .values({
      kind: alert.kind,
      key,
      network: alert.network,
      asset: alert.asset ?? null,
      wallet_address: alert.walletAddress ?? null,
      transfer_id: alert.transferId ?? null,
      transaction_id: alert.transactionId ?? null,
      message: alert.message,
      occurrences: 1,
      first_seen_at: alert.now,
      last_seen_at: alert.now,
      resolved_at: null,
    })
    .onConflict((oc) => oc.column('key').where('resolved_at', 'is', null).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Resolves the open alert of this kind and subject, if any; true when one was open. */
export async function resolveAlert(db: Kysely<Tables>, alert: { kind: AlertKind; subject: string; now: Date }): Promise<boolean> {
  const result = await db
    .updateTable('settlement_alerts')
    .set({ resolved_at: alert.now })
    .where('key', '=', keyOf(alert.kind, alert.subject))
    .where('resolved_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export interface AlertFilter {
  /** `open` (the default), `resolved` or `all`. */
  state?: 'open' | 'resolved' | 'all' | undefined;
  kind?: AlertKind | undefined;
  network?: string | undefined;
  limit?: number | undefined;
}

/** Alerts for the operator, most recently seen first. */
export async function listAlerts(db: Kysely<Tables>, filter: AlertFilter) {
  let query = db
    .selectFrom('settlement_alerts')
    .select([
      'id',
      'kind',
      'network',
      'asset',
      'wallet_address',
      'transfer_id',
      'transaction_id',
      'message',
      'occurrences',
      'first_seen_at',
      'last_seen_at',
      'resolved_at',
    ])
    .orderBy('last_seen_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(filter.limit ?? 100, 1000));
  const state = filter.state ?? 'open';
  if (state === 'open') query = query.where('resolved_at', 'is', null);
  if (state === 'resolved') query = query.where('resolved_at', 'is not', null);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.network) query = query.where('network', '=', filter.network);
  return query.execute();
}

/** Marks an alert handled by the operator (by id); false when there is no such open alert. */
export async function resolveAlertById(db: Kysely<Tables>, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('settlement_alerts')
    .set({ resolved_at: now })
    .where('id', '=', id)
    .where('resolved_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
