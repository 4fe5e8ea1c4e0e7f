import { type ColumnType, type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sqlEnumList } from '../../db/sql-enum.ts';
import { ASSETS, NETWORKS } from '../../lib/catalog.ts';

/**
 * The settlement module's tables. Block numbers and nonces (int8) come back as numbers from PGlite and
 * strings from PostgreSQL; the store turns both into bigint. Money columns are numeric(78, 0) minor units.
 */

/**
 * The sandbox chain's head, one row per network, made on first use. The head is computed, not
 * stored: `mined_blocks` + whole SANDBOX_BLOCK_TIMEs since `genesis_at` on the platform clock, so a
 * moved sandbox clock mines blocks too.
 */
export interface SandboxChainHeadsTable {
  network: string;
  genesis_at: Date;
  /** Blocks mined on demand ("mine N blocks"), on top of those the clock made. */
  mined_blocks: ColumnType<string | number, string | undefined, string>;
  /** Operator deposits sent so far: numbers their transaction hashes. */
  deposits_sent: ColumnType<string | number, string | undefined, string>;
}

export const SANDBOX_TRANSFER_KINDS = ['send', 'deposit'] as const;
export type SandboxTransferKind = (typeof SANDBOX_TRANSFER_KINDS)[number];

/**
 * Every transfer the sandbox chain carries: `send`s from the hot wallet (signed and broadcast through
 * the adapter, with their nonce and signed bytes) and operator `deposit`s. A transfer is mined in
 * `block_number`, which may still lie ahead of the head (pending), or is queued (null) while a lower
 * nonce of its sender is missing. A dropped one counts nowhere.
 */
export interface SandboxChainTransfersTable {
  network: string;
  hash: string;
  kind: SandboxTransferKind;
  asset: string;
  from_address: string;
  to_address: string;
  amount_minor: ColumnType<string, string, string>;
  /** Hot-wallet sends only. */
  nonce: ColumnType<string | number | null, string | null, string | null>;
  raw: string | null;
  /** The block it is (to be) mined in; null while a send waits behind a nonce gap (queued). */
  block_number: ColumnType<string | number | null, string | null, string | null>;
  /** False when the transfer is mined reverted (the sender could not cover it): it moves nothing. */
  success: boolean;
  dropped_at: Date | null;
  /** Orders transfers within one block (their position, like a log index over the block). */
  seq: ColumnType<string | number, never, never>;
  created_at: ColumnType<Date, Date, never>;
}

/** Every reorganisation made on the sandbox chain: blocks from `from_block` up got new hashes. */
export interface SandboxChainReorgsTable {
  id: ColumnType<string, never, never>;
  network: string;
  from_block: ColumnType<string | number, string, never>;
  created_at: ColumnType<Date, Date, never>;
}

/**
 * The deposit address of every sell, with the derivation index reserved for it (allocate-deposit-
 * address.ts). Recorded before the address is handed out, so no address exists whose index is not
 * written down; an index is never reused, even when its session was never created (a replayed
 * request), because it comes from a sequence.
 */
export interface DepositAddressesTable {
  /** The platform's transaction id (the row is written before the transaction's own, so no foreign key). */
  transaction_id: string;
  partner_id: string;
  merchant_transaction_id: string;
  /** 0 … 2^31−1 (BIP-32 non-hardened), unique: the address is `<extended key>/0/<index>` under DEPOSIT_ADDRESS_PROVIDER=hd. */
  derivation_index: number;
  /** The adapter that made the address ("hd", "sandbox"). */
  provider: string;
  currency: string;
  network: string;
  address: string;
  created_at: ColumnType<Date, Date, never>;
}

export interface SettlementTables {
  deposit_addresses: DepositAddressesTable;
  sandbox_chain_heads: SandboxChainHeadsTable;
  sandbox_chain_transfers: SandboxChainTransfersTable;
  sandbox_chain_reorgs: SandboxChainReorgsTable;
}

const networks = () => sqlEnumList(Object.keys(NETWORKS));

export const settlementMigrations: Record<string, Migration> = {
  '0040_sandbox_chain_heads': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('sandbox_chain_heads')
        .addColumn('network', 'text', (c) => c.primaryKey().check(sql`network in (${networks()})`))
        .addColumn('genesis_at', 'timestamptz', (c) => c.notNull())
        .addColumn('mined_blocks', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`mined_blocks >= 0`))
        .addColumn('deposits_sent', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  '0041_sandbox_chain_transfers': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('sandbox_chain_transfers')
        .addColumn('network', 'text', (c) => c.notNull().references('sandbox_chain_heads.network'))
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in (${sqlEnumList(SANDBOX_TRANSFER_KINDS)})`))
        .addColumn('asset', 'text', (c) => c.notNull().check(sql`asset in (${sqlEnumList(Object.keys(ASSETS))})`))
        .addColumn('from_address', 'text', (c) => c.notNull())
        .addColumn('to_address', 'text', (c) => c.notNull())
        .addColumn('amount_minor', 'numeric(78, 0)', (c) => c.notNull().check(sql`amount_minor > 0`))
        .addColumn('nonce', 'bigint', (c) => c.check(sql`nonce >= 0`))
        .addColumn('raw', 'text')
        .addColumn('block_number', 'bigint', (c) => c.check(sql`block_number >= 1`))
        .addColumn('success', 'boolean', (c) => c.notNull())
        .addColumn('dropped_at', 'timestamptz')
        .addColumn('seq', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('sandbox_chain_transfers_pkey', ['network', 'hash'])
        .addCheckConstraint('sandbox_chain_transfers_send_nonce', sql`(kind = 'send') = (nonce is not null)`)
        .execute();
      // One live send per nonce: a second signed transfer with a used nonce can never be mined.
      await sql`create unique index sandbox_chain_transfers_live_nonce on sandbox_chain_transfers (network, from_address, nonce)
                where nonce is not null and dropped_at is null`.execute(db);
      // Deposits into a set of addresses over a range of blocks (the off-ramp's watcher).
      await sql`create index sandbox_chain_transfers_to on sandbox_chain_transfers (network, to_address, block_number)`.execute(db);
    },
  },
  '0042_sandbox_chain_reorgs': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('sandbox_chain_reorgs')
        .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('network', 'text', (c) => c.notNull().references('sandbox_chain_heads.network'))
        .addColumn('from_block', 'bigint', (c) => c.notNull().check(sql`from_block >= 1`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
  '0050_deposit_addresses': {
    async up(db: Kysely<any>) {
      // Derivation indexes come from a sequence: a reserved number is never handed out again, even
      // when the transaction that reserved it rolls back. 2^31−1 is the last non-hardened index.
      await sql`create sequence deposit_address_index_seq as integer minvalue 0 maxvalue 2147483647 start 0 no cycle`.execute(db);
      await db.schema
        .createTable('deposit_addresses')
        .addColumn('transaction_id', 'uuid', (c) => c.primaryKey())
        .addColumn('partner_id', 'text', (c) => c.notNull())
        .addColumn('merchant_transaction_id', 'text', (c) => c.notNull())
        .addColumn('derivation_index', 'integer', (c) => c.notNull().unique().check(sql`derivation_index between 0 and 2147483647`))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('network', 'text', (c) => c.notNull().check(sql`network in (${networks()})`))
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        // One transaction per address: a deposit always names its sell.
        .addUniqueConstraint('deposit_addresses_address_key', ['network', 'address'])
        .execute();
      // The watcher's address set: a network and asset's addresses of the last days.
      await db.schema
        .createIndex('deposit_addresses_watch_idx')
        .on('deposit_addresses')
        .columns(['network', 'currency', 'created_at'])
        .execute();
    },
  },
};
