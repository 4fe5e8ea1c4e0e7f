import { type Kysely, type Selectable, sql } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { DepositAddressesTable } from './tables.ts';

/** The rows of deposit_addresses: each sell's address with its derivation index. */

export type DepositAddressRow = Selectable<DepositAddressesTable>;

type Db = Kysely<Tables>;

export async function findDepositAddress(db: Db, transactionId: string): Promise<DepositAddressRow | undefined> {
  return db.selectFrom('deposit_addresses').selectAll().where('transaction_id', '=', transactionId).executeTakeFirst();
}

/** The next derivation index: from a sequence, so it is never handed out twice (a rolled-back one is skipped). */
export async function reserveDerivationIndex(db: Db): Promise<number> {
  const { rows } = await sql<{ index: number | string }>`select nextval('deposit_address_index_seq') as index`.execute(db);
  return Number(rows[0]!.index);
}

/** Records an allocated address; false when the transaction already has one (a concurrent allocation won). */
export async function insertDepositAddress(db: Db, row: DepositAddressRow): Promise<boolean> {
  const inserted = await db
    .insertInto('deposit_addresses')
    .values(row)
    .onConflict((oc) => oc.column('transaction_id').doNothing())
    .returning('transaction_id')
    .executeTakeFirst();
  return inserted !== undefined;
}
