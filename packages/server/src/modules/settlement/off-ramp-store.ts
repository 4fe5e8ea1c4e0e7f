import { type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { randomBase62 } from '../../lib/ids.ts';
import type { DepositDisposition, PayoutStatus } from './off-ramp-vocabulary.ts';
import type { DepositsTable, PayoutCardsTable, PayoutsTable } from './tables.ts';

/**
 * The off-ramp's rows (watched addresses, cursors, deposits, payout cards, payouts). Every function
 * takes `db`, so it joins a caller's database transaction; none decides anything.
 */

export type DepositRow = Selectable<DepositsTable>;
export type PayoutCardRow = Selectable<PayoutCardsTable>;
export type PayoutRow = Selectable<PayoutsTable>;

type Db = Kysely<Tables>;

// ---------------------------------------------------------------------------------------------------
// The watched addresses

/** The (network, asset) pairs with addresses allocated since `since`: what the watcher scans. */
export async function watchedPairs(db: Db, since: Date): Promise<Array<{ network: string; currency: string }>> {
  return db
    .selectFrom('deposit_addresses')
    .select(['network', 'currency'])
    .where('created_at', '>=', since)
    .groupBy(['network', 'currency'])
    .orderBy('network')
    .orderBy('currency')
    .execute();
}

/** The addresses of one (network, asset) allocated since `since`, with their transactions. */
export async function watchedAddresses(
  db: Db,
  pair: { network: string; asset: string; since: Date },
): Promise<Array<{ address: string; transaction_id: string }>> {
  return db
    .selectFrom('deposit_addresses')
    .select(['address', 'transaction_id'])
    .where('network', '=', pair.network)
    .where('currency', '=', pair.asset)
    .where('created_at', '>=', pair.since)
    .execute();
}

// ---------------------------------------------------------------------------------------------------
// Cursors

/**
 * Takes the lease of a (network, asset) cursor until `until`, creating the cursor at `startBlock`
 * when it is new. Returns the last scanned block, or null when another node holds the lease.
 */
export async function leaseCursor(
  db: Db,
  lease: { network: string; asset: string; owner: string; now: Date; until: Date; startBlock: () => Promise<bigint> },
): Promise<bigint | null> {
  const existing = await db
    .selectFrom('deposit_cursors')
    .select('last_block')
    .where('network', '=', lease.network)
    .where('asset', '=', lease.asset)
    .executeTakeFirst();
  if (!existing) {
    await db
      .insertInto('deposit_cursors')
      .values({
        network: lease.network,
        asset: lease.asset,
        last_block: (await lease.startBlock()).toString(),
        leased_until: null,
        lease_owner: null,
        updated_at: lease.now,
      })
      .onConflict((oc) => oc.columns(['network', 'asset']).doNothing())
      .execute();
  }
  const claimed = await db
    .updateTable('deposit_cursors')
    .set({ leased_until: lease.until, lease_owner: lease.owner })
    .where('network', '=', lease.network)
    .where('asset', '=', lease.asset)
    .where((eb) => eb.or([eb('leased_until', 'is', null), eb('leased_until', '<', lease.now), eb('lease_owner', '=', lease.owner)]))
    .returning('last_block')
    .executeTakeFirst();
  return claimed ? BigInt(claimed.last_block) : null;
}

/** Every deposit watcher's cursor: where it stands and when it last moved. */
export async function listCursors(db: Db) {
  return db
    .selectFrom('deposit_cursors')
    .select(['network', 'asset', 'last_block', 'updated_at'])
    .orderBy('network')
    .orderBy('asset')
    .execute();
}

/** Moves the cursor on and gives the lease back (only the node holding it can). */
export async function advanceCursor(
  db: Db,
  cursor: { network: string; asset: string; owner: string; lastBlock: bigint | null; now: Date },
): Promise<void> {
  await db
    .updateTable('deposit_cursors')
    .set({
      ...(cursor.lastBlock === null ? {} : { last_block: cursor.lastBlock.toString() }),
      leased_until: null,
      lease_owner: null,
      updated_at: cursor.now,
    })
    .where('network', '=', cursor.network)
    .where('asset', '=', cursor.asset)
    .where('lease_owner', '=', cursor.owner)
    .execute();
}

// ---------------------------------------------------------------------------------------------------
// Deposits

export const newDepositId = () => `dep_${randomBase62(20)}`;

export async function findDepositByTransfer(
  db: Db,
  transfer: { network: string; txHash: string; logIndex: number },
): Promise<DepositRow | undefined> {
  return db
    .selectFrom('deposits')
    .selectAll()
    .where('network', '=', transfer.network)
    .where('tx_hash', '=', transfer.txHash)
    .where('log_index', '=', transfer.logIndex)
    .executeTakeFirst();
}

/** Inserts a deposit seen for the first time; false when another node recorded it first. */
export async function insertDeposit(db: Db, row: DepositRow): Promise<boolean> {
  const inserted = await db
    .insertInto('deposits')
    .values(row)
    .onConflict((oc) => oc.columns(['network', 'tx_hash', 'log_index']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function updateDeposit(db: Db, id: string, changes: Updateable<DepositsTable>): Promise<void> {
  await db.updateTable('deposits').set(changes).where('id', '=', id).execute();
}

/** Deposits of one (network, asset) still short of their depth. */
export async function unconfirmedDeposits(db: Db, pair: { network: string; asset: string }): Promise<DepositRow[]> {
  return db
    .selectFrom('deposits')
    .selectAll()
    .where('network', '=', pair.network)
    .where('asset', '=', pair.asset)
    .where('status', '=', 'unconfirmed')
    .orderBy('seen_at')
    .execute();
}

/** Transactions with confirmed deposits nobody decided on yet, and no deposit still confirming. */
export async function transactionsWithUndecidedDeposits(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('deposits as d')
    .select('d.transaction_id')
    .where('d.status', '=', 'confirmed')
    .where('d.disposition', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('deposits as u')
            .select('u.id')
            .whereRef('u.transaction_id', '=', 'd.transaction_id')
            .where('u.status', '=', 'unconfirmed'),
        ),
      ),
    )
    .groupBy('d.transaction_id')
    .orderBy(sql`min(d.seen_at)`)
    .limit(limit)
    .execute();
  return rows.map((row) => row.transaction_id);
}

/** A transaction's confirmed, undecided deposits, locked (oldest first). */
export async function lockUndecidedDeposits(db: Db, transactionId: string): Promise<DepositRow[]> {
  return db
    .selectFrom('deposits')
    .selectAll()
    .where('transaction_id', '=', transactionId)
    .where('status', '=', 'confirmed')
    .where('disposition', 'is', null)
    .orderBy('seen_at')
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** Every deposit of a transaction (reorged ones too), oldest first. */
export async function depositsOf(db: Db, transactionId: string): Promise<DepositRow[]> {
  return db.selectFrom('deposits').selectAll().where('transaction_id', '=', transactionId).orderBy('seen_at').orderBy('id').execute();
}

/** Whether a transaction has a deposit that counts (seen on the chain and not reorged away). */
export async function hasLiveDeposit(db: Db, transactionId: string): Promise<boolean> {
  const row = await db
    .selectFrom('deposits')
    .select('id')
    .where('transaction_id', '=', transactionId)
    .where('status', '!=', 'reorged')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function decideDeposit(
  db: Db,
  decision: { id: string; disposition: DepositDisposition; unpaidMinor: bigint; now: Date },
): Promise<void> {
  await updateDeposit(db, decision.id, {
    disposition: decision.disposition,
    unpaid_minor: decision.unpaidMinor.toString(),
    decided_at: decision.now,
  });
}

/** A deposit with the sell it belongs to, for the operator. */
export type HeldDepositRow = DepositRow & { partner_id: string; merchant_transaction_id: string };

/**
 * Deposits the platform holds crypto of without having paid it out (surplus, refused, late, or a
 * sell whose payout failed), newest first; only unresolved ones unless asked. Reorged ones hold nothing.
 */
export async function listHeldDeposits(
  db: Db,
  filter: { dispositions?: readonly DepositDisposition[]; includeResolved: boolean; limit: number },
): Promise<HeldDepositRow[]> {
  return db
    .selectFrom('deposits as d')
    .innerJoin('deposit_addresses as a', 'a.transaction_id', 'd.transaction_id')
    .selectAll('d')
    .select(['a.partner_id', 'a.merchant_transaction_id'])
    .where('d.unpaid_minor', '>', '0')
    .where('d.status', '!=', 'reorged')
    .$if(filter.dispositions !== undefined, (query) => query.where('d.disposition', 'in', [...filter.dispositions!]))
    .$if(!filter.includeResolved, (query) => query.where('d.resolved_at', 'is', null))
    .orderBy('d.seen_at', 'desc')
    .orderBy('d.id')
    .limit(filter.limit)
    .execute();
}

export async function findHeldDeposit(db: Db, id: string): Promise<HeldDepositRow | undefined> {
  return db
    .selectFrom('deposits as d')
    .innerJoin('deposit_addresses as a', 'a.transaction_id', 'd.transaction_id')
    .selectAll('d')
    .select(['a.partner_id', 'a.merchant_transaction_id'])
    .where('d.id', '=', id)
    .executeTakeFirst();
}

export async function findDeposit(db: Db, id: string): Promise<DepositRow | undefined> {
  return db.selectFrom('deposits').selectAll().where('id', '=', id).executeTakeFirst();
}

// ---------------------------------------------------------------------------------------------------
// Payout cards and payouts

export const newPayoutId = () => `po_${randomBase62(20)}`;

export async function findPayoutCard(db: Db, transactionId: string): Promise<PayoutCardRow | undefined> {
  return db.selectFrom('payout_cards').selectAll().where('transaction_id', '=', transactionId).executeTakeFirst();
}

/** Records the payout card of a sell, replacing an earlier one. */
export async function upsertPayoutCard(db: Db, row: PayoutCardRow): Promise<void> {
  await db
    .insertInto('payout_cards')
    .values(row)
    .onConflict((oc) =>
      oc.column('transaction_id').doUpdateSet({
        provider: row.provider,
        token_sealed: row.token_sealed,
        brand: row.brand,
        last4: row.last4,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function findPayoutOfTransaction(db: Db, transactionId: string): Promise<PayoutRow | undefined> {
  return db.selectFrom('payouts').selectAll().where('transaction_id', '=', transactionId).executeTakeFirst();
}

export async function findPayout(
  db: Db,
  where: { id: string } | { provider: string; providerPayoutId: string },
): Promise<PayoutRow | undefined> {
  const query = db.selectFrom('payouts').selectAll();
  return (
    'id' in where
      ? query.where('id', '=', where.id)
      : query.where('provider', '=', where.provider).where('provider_payout_id', '=', where.providerPayoutId)
  ).executeTakeFirst();
}

export async function lockPayout(db: Db, id: string): Promise<PayoutRow | undefined> {
  return db.selectFrom('payouts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function insertPayout(db: Db, row: PayoutRow): Promise<void> {
  await db.insertInto('payouts').values(row).execute();
}

/** Changes a payout, only while it is in one of `from` (a later outcome is never overwritten). */
export async function updatePayout(
  db: Db,
  id: string,
  changes: Updateable<PayoutsTable>,
  from?: readonly PayoutStatus[],
): Promise<boolean> {
  const result = await db
    .updateTable('payouts')
    .set(changes)
    .where('id', '=', id)
    .$if(from !== undefined, (query) => query.where('status', 'in', [...from!]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Payouts for the operator, newest first, with the sell they pay (optionally of one status). */
export async function listPayouts(
  db: Db,
  filter: { status?: PayoutStatus; limit: number },
): Promise<Array<PayoutRow & { merchant_transaction_id: string }>> {
  return db
    .selectFrom('payouts as p')
    .innerJoin('deposit_addresses as a', 'a.transaction_id', 'p.transaction_id')
    .selectAll('p')
    .select('a.merchant_transaction_id')
    .$if(filter.status !== undefined, (query) => query.where('p.status', '=', filter.status!))
    .orderBy('p.created_at', 'desc')
    .orderBy('p.id')
    .limit(filter.limit)
    .execute();
}

/** Leases up to `limit` queued payouts that are due; each is sent by one node only. */
export async function leaseDuePayouts(db: Db, due: { now: Date; until: Date; limit: number }): Promise<PayoutRow[]> {
  return db
    .updateTable('payouts')
    .set({ leased_until: due.until })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('payouts')
        .select('id')
        .where('status', '=', 'queued')
        .where('next_try_at', '<=', due.now)
        .where((inner) => inner.or([inner('leased_until', 'is', null), inner('leased_until', '<', due.now)]))
        .orderBy('next_try_at')
        .limit(due.limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}
