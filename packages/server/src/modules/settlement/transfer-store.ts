import { type Kysely, type Selectable, sql, type Transaction, type Updateable } from 'kysely';
import { sqlEnumList } from '../../db/sql-enum.ts';
import type { Tables } from '../../db/tables.ts';
import type { TransferIntentsTable } from './tables.ts';
import { ACTIVE_TRANSFER_STATUSES, OUTGOING_TRANSFER_STATUSES, type TransferIntentStatus } from './transfer-vocabulary.ts';

/**
 * Data access for transfer intents. Every function runs on the `db` it is given (a caller's
 * transaction included); the ones whose statements only make sense together take a `Transaction`.
 */

export type TransferIntent = Selectable<TransferIntentsTable>;

export interface NewTransferIntent {
  id: string;
  transactionId: string;
  partnerId: string;
  merchantTransactionId: string;
  network: string;
  asset: string;
  toAddress: string;
  amountMinor: bigint;
  now: Date;
}

/** Creates the transfer of a transaction unless it has one; true when this call created it. */
export async function insertTransferIntent(db: Kysely<Tables>, intent: NewTransferIntent): Promise<boolean> {
  const inserted = await db
    .insertInto('transfer_intents')
    .values({
      id: intent.id,
      transaction_id: intent.transactionId,
      partner_id: intent.partnerId,
      merchant_transaction_id: intent.merchantTransactionId,
      network: intent.network,
      asset: intent.asset,
      to_address: intent.toAddress,
      amount_minor: intent.amountMinor.toString(),
      status: 'queued',
      next_attempt_at: intent.now,
      created_at: intent.now,
      updated_at: intent.now,
    })
    .onConflict((oc) => oc.column('transaction_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findTransferIntent(db: Kysely<Tables>, id: string): Promise<TransferIntent | undefined> {
  return db.selectFrom('transfer_intents').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findTransferOfTransaction(db: Kysely<Tables>, transactionId: string): Promise<TransferIntent | undefined> {
  return db.selectFrom('transfer_intents').selectAll().where('transaction_id', '=', transactionId).executeTakeFirst();
}

/** Reads a transfer and locks its row until the caller's transaction ends. */
export async function lockTransferIntent(trx: Kysely<Tables>, id: string): Promise<TransferIntent | undefined> {
  return trx.selectFrom('transfer_intents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * Changes a transfer only if it is still where the caller saw it (`from`), so a round that lost its
 * lease, or raced another node, changes nothing. Returns the updated row, or undefined.
 */
export async function updateTransferIntent(
  db: Kysely<Tables>,
  id: string,
  from: { status: TransferIntentStatus; txHash?: string | null; nonce?: string | null },
  set: Updateable<TransferIntentsTable>,
): Promise<TransferIntent | undefined> {
  let query = db.updateTable('transfer_intents').set(set).where('id', '=', id).where('status', '=', from.status);
  if (from.txHash !== undefined)
    query = from.txHash === null ? query.where('tx_hash', 'is', null) : query.where('tx_hash', '=', from.txHash);
  if (from.nonce !== undefined) query = from.nonce === null ? query.where('nonce', 'is', null) : query.where('nonce', '=', from.nonce);
  return query.returningAll().executeTakeFirst();
}

/**
 * Leases up to `limit` due transfers to one worker (FOR UPDATE SKIP LOCKED: the workers of several
 * nodes never take the same one; a lease lets a dead worker's transfers go to another after
 * `leaseMs`). The row locks hold until the caller's transaction ends, which should be right after.
 */
export async function claimDueTransfers(
  trx: Transaction<Tables>,
  claim: { now: Date; limit: number; leaseMs: number; exclude: readonly string[] },
): Promise<TransferIntent[]> {
  const { now, limit, exclude } = claim;
  const notMine = exclude.length === 0 ? sql`true` : sql`id not in (${sql.join(exclude)})`;
  // The statuses as literals, so the planner can use the partial index of due transfers.
  const due = await sql<{ id: string }>`
    select id from transfer_intents
    where status in (${sqlEnumList(ACTIVE_TRANSFER_STATUSES)}) and next_attempt_at <= ${now}
      and (lease_until is null or lease_until < ${now}) and ${notMine}
    order by next_attempt_at, created_at
    limit ${limit}
    for update skip locked`.execute(trx);
  if (due.rows.length === 0) return [];
  return trx
    .updateTable('transfer_intents')
    .set((eb) => ({ lease_until: new Date(now.getTime() + claim.leaseMs), attempts: eb('attempts', '+', 1) }))
    .where(
      'id',
      'in',
      due.rows.map((row) => row.id),
    )
    .returningAll()
    .execute();
}

/**
 * Ends a claim: when to look again, and what stood in the way this round (`problem`, null when
 * nothing did); `failed` counts the round as an error (the node unreachable, a bug), which lengthens
 * the next wait. Ignored if the lease lapsed and another round took the transfer.
 */
export async function endClaim(
  db: Kysely<Tables>,
  claim: { id: string; attempts: number },
  outcome: { nextAttemptAt: Date; problem: string | null; failed: boolean; now: Date },
): Promise<TransferIntent | undefined> {
  return db
    .updateTable('transfer_intents')
    .set((eb) => ({
      next_attempt_at: outcome.nextAttemptAt,
      lease_until: null,
      errors: outcome.failed ? eb('errors', '+', 1) : 0,
      last_error: outcome.problem === null ? null : outcome.problem.slice(0, 500),
      updated_at: outcome.now,
    }))
    .where('id', '=', claim.id)
    .where('attempts', '=', claim.attempts)
    .returningAll()
    .executeTakeFirst();
}

/**
 * What a hot wallet has promised of one asset beyond a balance read at `balanceReadAt`: the transfers
 * reserved, signed and on their way, and those confirmed since the read (which it may not show).
 * Their amounts may or may not show in the balance already, so counting them all errs on the side of
 * waiting, never of overspending.
 */
export async function outgoingAmount(
  db: Kysely<Tables>,
  where: { network: string; asset: string; fromAddress: string; confirmedSince: Date },
): Promise<bigint> {
  const row = await db
    .selectFrom('transfer_intents')
    .select(sql<string | null>`sum(amount_minor)::text`.as('total'))
    .where('network', '=', where.network)
    .where('asset', '=', where.asset)
    .where('from_address', '=', where.fromAddress)
    .where((eb) =>
      eb.or([
        eb('status', 'in', OUTGOING_TRANSFER_STATUSES),
        eb.and([eb('status', '=', 'confirmed'), eb('confirmed_at', '>=', where.confirmedSince)]),
      ]),
    )
    .executeTakeFirst();
  return BigInt(row?.total ?? '0');
}

/** How many transfers of a network are on their way, and how many wait to be signed: for the hot-wallet view. */
export async function countTransfersByStatus(db: Kysely<Tables>, network: string): Promise<Partial<Record<TransferIntentStatus, number>>> {
  const rows = await db
    .selectFrom('transfer_intents')
    .select(['status', sql<string>`count(*)::text`.as('count')])
    .where('network', '=', network)
    .where('status', 'in', ACTIVE_TRANSFER_STATUSES)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
}

export interface TransferFilter {
  status?: TransferIntentStatus | undefined;
  transactionId?: string | undefined;
  limit?: number | undefined;
}

/** Transfers for the operator, newest first (the signed bytes are left out: they are no use to read). */
export async function listTransferIntents(db: Kysely<Tables>, filter: TransferFilter) {
  let query = db
    .selectFrom('transfer_intents')
    .select([
      'id',
      'transaction_id',
      'partner_id',
      'merchant_transaction_id',
      'network',
      'asset',
      'to_address',
      'amount_minor',
      'status',
      'from_address',
      'nonce',
      'tx_hash',
      'signed_at',
      'broadcast_at',
      'mined_block',
      'mined_block_hash',
      'confirmations',
      'confirmed_at',
      'failure',
      'failure_detail',
      'attempts',
      'errors',
      'last_error',
      'next_attempt_at',
      'created_at',
      'updated_at',
    ])
    .orderBy('created_at', 'desc')
    .limit(Math.min(filter.limit ?? 100, 1000));
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.transactionId) query = query.where('transaction_id', '=', filter.transactionId);
  return query.execute();
}
