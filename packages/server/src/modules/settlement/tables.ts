import { type ColumnType, type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sqlEnumList } from '../../db/sql-enum.ts';
import { ASSETS, NETWORKS } from '../../lib/catalog.ts';
import type { CardBrand } from '../payments/payment-source.ts';
import {
  DEPOSIT_DISPOSITIONS,
  DEPOSIT_STATUSES,
  type DepositDisposition,
  type DepositStatus,
  PAYOUT_STATUSES,
  type PayoutStatus,
} from './off-ramp-vocabulary.ts';
import {
  ACTIVE_TRANSFER_STATUSES,
  ALERT_KINDS,
  type AlertKind,
  OUTGOING_TRANSFER_STATUSES,
  SIGNED_TRANSFER_STATUSES,
  TRANSFER_FAILURES,
  TRANSFER_STATUSES,
  type TransferFailure,
  type TransferIntentStatus,
} from './transfer-vocabulary.ts';

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

/** Integers too large for a JavaScript number travel as decimal strings (numeric columns). */
type BigText = ColumnType<string, string, string>;

/**
 * One crypto transfer per buy (unique on transaction_id): created in the database transaction that
 * moves the buy to processing, then advanced by the leased settlement worker. Before anything is
 * sent, `nonce`, `tx_hash` and `raw_tx` are recorded together (status `signed`); only those bytes are
 * ever sent again. `from_address` + `nonce` are unique per network: no two transfers share a nonce.
 */
export interface TransferIntentsTable {
  /** `trf_` + 20 base62 characters. */
  id: string;
  transaction_id: string;
  partner_id: string;
  merchant_transaction_id: string;
  network: string;
  asset: string;
  /** The session's address. */
  to_address: string;
  /** The transaction's settled crypto amount, in the asset's minor units. */
  amount_minor: BigText;
  status: TransferIntentStatus;
  /** The hot wallet that signed (null until signed). */
  from_address: string | null;
  /** Reserved before signing (status `reserved`), kept with the signature. */
  nonce: BigText | null;
  tx_hash: string | null;
  /** The signed transaction as the network takes it; sent again, never re-signed, while its nonce is free. */
  raw_tx: string | null;
  signed_at: Date | null;
  broadcast_at: Date | null;
  mined_block: BigText | null;
  mined_block_hash: string | null;
  confirmations: ColumnType<number, number | undefined, number>;
  /** The head at which another transaction was first seen to hold this transfer's nonce. */
  nonce_lost_at_head: BigText | null;
  confirmed_at: Date | null;
  failure: TransferFailure | null;
  /** For operators; never key material or signed bytes. */
  failure_detail: string | null;
  /** When the payment of a failed transfer was refunded (the provider accepted the request). */
  refund_requested_at: Date | null;
  /** Rounds this transfer was claimed for; also the claim's token (a lapsed lease's late writes are ignored). */
  attempts: ColumnType<number, number | undefined, number>;
  /** Failed rounds in a row (the node unreachable): the retry delay grows with it, and an alert is raised. */
  errors: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  next_attempt_at: Date;
  lease_until: Date | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

/**
 * The next nonce of each hot wallet per network, row-locked while a transfer is signed: the counter
 * that makes two nodes never sign two transfers with one nonce. Created from the chain's mined nonce
 * the first time, moved up when the chain is ahead (the wallet used elsewhere).
 */
export interface HotWalletNoncesTable {
  network: string;
  address: string;
  next_nonce: BigText;
  updated_at: Date;
}

/**
 * Nonces given back by transfers the node refused for good before it took them (so they hold no
 * transaction): the next signature takes the lowest, and no later transfer waits behind a gap.
 */
export interface ReleasedNoncesTable {
  network: string;
  address: string;
  nonce: BigText;
  released_at: Date;
}

/**
 * What the operator must look at (GET /admin/settlement/alerts). One open alert per `key` (its kind
 * and what it is about), counted up while the condition lasts and resolved when it ends. Messages
 * carry amounts, addresses and ids, never keys or signed bytes.
 */
export interface SettlementAlertsTable {
  id: ColumnType<string, never, never>;
  kind: AlertKind;
  key: string;
  network: string;
  asset: string | null;
  wallet_address: string | null;
  transfer_id: string | null;
  transaction_id: string | null;
  message: string;
  occurrences: number;
  first_seen_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
}

/** How far the deposit watcher has read each (network, asset), and which node reads it now. */
export interface DepositCursorsTable {
  network: string;
  asset: string;
  /** The last block whose deposits are recorded (numeric: read back as a string). */
  last_block: ColumnType<string, string, string>;
  /** A node scanning this pair holds it until then (several nodes never scan one pair at once). */
  leased_until: Date | null;
  lease_owner: string | null;
  updated_at: Date;
}

/**
 * Every transfer into a sell's deposit address, once per (network, hash, log index), with how deep
 * it is and what was made of it. `unpaid_minor` is the part of it the platform holds without having
 * paid for it (a surplus, a refused underpayment, a late deposit): the operator's list until resolved.
 */
export interface DepositsTable {
  /** `dep_` + 20 base62 characters. */
  id: string;
  transaction_id: string;
  network: string;
  asset: string;
  address: string;
  tx_hash: string;
  log_index: number;
  from_address: string;
  amount_minor: ColumnType<string, string, string>;
  block_number: ColumnType<string, string, string>;
  block_hash: string;
  confirmations: number;
  status: DepositStatus;
  disposition: DepositDisposition | null;
  unpaid_minor: ColumnType<string, string | undefined, string>;
  seen_at: ColumnType<Date, Date, never>;
  confirmed_at: Date | null;
  decided_at: Date | null;
  /** Set by the operator once held crypto is dealt with (sent back, or kept by agreement). */
  resolved_at: Date | null;
  resolution_note: string | null;
}

/** The card a sell pays out to: the payout adapter's token (sealed), its brand and last four digits; never the number. */
export interface PayoutCardsTable {
  transaction_id: string;
  provider: string;
  token_sealed: string;
  brand: CardBrand;
  last4: string;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

/** One fiat payout per sell (unique): its amount, its provider ids and where it stands. */
export interface PayoutsTable {
  /** `po_` + 20 base62 characters; the provider's idempotency key and the callbacks' reference. */
  id: string;
  transaction_id: string;
  partner_id: string;
  provider: string;
  provider_payout_id: string | null;
  amount_minor: ColumnType<string, string, string>;
  fiat_currency: string;
  status: PayoutStatus;
  decline_reason: string | null;
  /** Tries that found the provider unreachable; the next one waits longer. */
  tries: number;
  last_error: string | null;
  next_try_at: Date;
  leased_until: Date | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface SettlementTables {
  deposit_addresses: DepositAddressesTable;
  deposit_cursors: DepositCursorsTable;
  deposits: DepositsTable;
  payout_cards: PayoutCardsTable;
  payouts: PayoutsTable;
  sandbox_chain_heads: SandboxChainHeadsTable;
  sandbox_chain_transfers: SandboxChainTransfersTable;
  sandbox_chain_reorgs: SandboxChainReorgsTable;
  transfer_intents: TransferIntentsTable;
  hot_wallet_nonces: HotWalletNoncesTable;
  released_nonces: ReleasedNoncesTable;
  settlement_alerts: SettlementAlertsTable;
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
  '0046_transfer_intents': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('transfer_intents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transaction_id', 'uuid', (c) => c.notNull().references('transactions.id'))
        .addColumn('partner_id', 'text', (c) => c.notNull())
        .addColumn('merchant_transaction_id', 'text', (c) => c.notNull())
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('asset', 'text', (c) => c.notNull())
        .addColumn('to_address', 'text', (c) => c.notNull())
        .addColumn('amount_minor', 'numeric(78, 0)', (c) => c.notNull().check(sql`amount_minor > 0`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sqlEnumList(TRANSFER_STATUSES)})`))
        .addColumn('from_address', 'text')
        .addColumn('nonce', 'numeric(78, 0)', (c) => c.check(sql`nonce >= 0`))
        .addColumn('tx_hash', 'text')
        .addColumn('raw_tx', 'text')
        .addColumn('signed_at', 'timestamptz')
        .addColumn('broadcast_at', 'timestamptz')
        .addColumn('mined_block', 'numeric(78, 0)')
        .addColumn('mined_block_hash', 'text')
        .addColumn('confirmations', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('nonce_lost_at_head', 'numeric(78, 0)')
        .addColumn('confirmed_at', 'timestamptz')
        .addColumn('failure', 'text', (c) => c.check(sql`failure in (${sqlEnumList(TRANSFER_FAILURES)})`))
        .addColumn('failure_detail', 'text')
        .addColumn('refund_requested_at', 'timestamptz')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
        .addColumn('lease_until', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        // Exactly one transfer per transaction, however many times its capture is applied.
        .addUniqueConstraint('transfer_intents_transaction_key', ['transaction_id'])
        // A nonce belongs to a wallet; a signature is its hash and bytes together; a signed transfer has all of them.
        .addCheckConstraint(
          'transfer_intents_signed_check',
          sql`(nonce is null) = (from_address is null) and (tx_hash is null) = (raw_tx is null)
              and (status not in (${sqlEnumList(SIGNED_TRANSFER_STATUSES)}) or (nonce is not null and tx_hash is not null))
              and (status <> 'reserved' or nonce is not null)`,
        )
        .execute();
      // No two transfers ever hold one nonce of one wallet (the database says so, not only the code).
      await db.schema
        .createIndex('transfer_intents_nonce_key')
        .unique()
        .on('transfer_intents')
        .columns(['network', 'from_address', 'nonce'])
        .where(sql.ref('nonce'), 'is not', null)
        .execute();
      await db.schema
        .createIndex('transfer_intents_due_idx')
        .on('transfer_intents')
        .columns(['next_attempt_at'])
        .where(sql<boolean>`status in (${sqlEnumList(ACTIVE_TRANSFER_STATUSES)})`)
        .execute();
      await db.schema
        .createIndex('transfer_intents_outgoing_idx')
        .on('transfer_intents')
        .columns(['network', 'asset', 'from_address'])
        .where(sql<boolean>`status in (${sqlEnumList(OUTGOING_TRANSFER_STATUSES)})`)
        .execute();
    },
  },
  '0047_hot_wallet_nonces': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('hot_wallet_nonces')
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('next_nonce', 'numeric(78, 0)', (c) => c.notNull().check(sql`next_nonce >= 0`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('hot_wallet_nonces_pkey', ['network', 'address'])
        .execute();
      await db.schema
        .createTable('released_nonces')
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('nonce', 'numeric(78, 0)', (c) => c.notNull())
        .addColumn('released_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('released_nonces_pkey', ['network', 'address', 'nonce'])
        .execute();
    },
  },
  '0048_settlement_alerts': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('settlement_alerts')
        .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in (${sqlEnumList(ALERT_KINDS)})`))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('asset', 'text')
        .addColumn('wallet_address', 'text')
        .addColumn('transfer_id', 'text')
        .addColumn('transaction_id', 'uuid')
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('occurrences', 'integer', (c) => c.notNull())
        .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
        .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
        .addColumn('resolved_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('settlement_alerts_open_key')
        .unique()
        .on('settlement_alerts')
        .column('key')
        .where(sql.ref('resolved_at'), 'is', null)
        .execute();
      await db.schema.createIndex('settlement_alerts_seen_idx').on('settlement_alerts').column('last_seen_at').execute();
    },
  },
  '0051_deposits': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('deposit_cursors')
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('asset', 'text', (c) => c.notNull())
        .addColumn('last_block', 'numeric(78, 0)', (c) => c.notNull().check(sql`last_block >= 0`))
        .addColumn('leased_until', 'timestamptz')
        .addColumn('lease_owner', 'text')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('deposit_cursors_pkey', ['network', 'asset'])
        .execute();
      await db.schema
        .createTable('deposits')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transaction_id', 'uuid', (c) => c.notNull().references('deposit_addresses.transaction_id'))
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('asset', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('tx_hash', 'text', (c) => c.notNull())
        .addColumn('log_index', 'integer', (c) => c.notNull().check(sql`log_index >= 0`))
        .addColumn('from_address', 'text', (c) => c.notNull())
        .addColumn('amount_minor', 'numeric(78, 0)', (c) => c.notNull().check(sql`amount_minor > 0`))
        .addColumn('block_number', 'numeric(78, 0)', (c) => c.notNull())
        .addColumn('block_hash', 'text', (c) => c.notNull())
        .addColumn('confirmations', 'integer', (c) => c.notNull().check(sql`confirmations >= 0`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sqlEnumList(DEPOSIT_STATUSES)})`))
        .addColumn('disposition', 'text', (c) => c.check(sql`disposition in (${sqlEnumList(DEPOSIT_DISPOSITIONS)})`))
        .addColumn('unpaid_minor', 'numeric(78, 0)', (c) =>
          c.notNull().defaultTo(0).check(sql`unpaid_minor >= 0 and unpaid_minor <= amount_minor`),
        )
        .addColumn('seen_at', 'timestamptz', (c) => c.notNull())
        .addColumn('confirmed_at', 'timestamptz')
        .addColumn('decided_at', 'timestamptz')
        .addColumn('resolved_at', 'timestamptz')
        .addColumn('resolution_note', 'text')
        // A deposit is recorded once, however often its block range is read again.
        .addUniqueConstraint('deposits_transfer_key', ['network', 'tx_hash', 'log_index'])
        .addCheckConstraint('deposits_decided_check', sql`(disposition is null) = (decided_at is null)`)
        .execute();
      await db.schema.createIndex('deposits_transaction_idx').on('deposits').column('transaction_id').execute();
      await db.schema
        .createIndex('deposits_unconfirmed_idx')
        .on('deposits')
        .columns(['network', 'asset'])
        .where(sql.ref('status'), '=', 'unconfirmed')
        .execute();
      await db.schema
        .createIndex('deposits_undecided_idx')
        .on('deposits')
        .column('transaction_id')
        .where(sql<boolean>`status = 'confirmed' and disposition is null`)
        .execute();
      await db.schema
        .createIndex('deposits_held_idx')
        .on('deposits')
        .column('seen_at')
        .where(sql<boolean>`unpaid_minor > 0 and resolved_at is null`)
        .execute();
    },
  },
  '0052_payouts': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('payout_cards')
        .addColumn('transaction_id', 'uuid', (c) => c.primaryKey().references('transactions.id'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('token_sealed', 'text', (c) => c.notNull())
        .addColumn('brand', 'text', (c) => c.notNull())
        .addColumn('last4', 'text', (c) => c.notNull().check(sql`last4 ~ '^[0-9]{4}$'`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('payouts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transaction_id', 'uuid', (c) => c.notNull().unique().references('transactions.id'))
        .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('provider_payout_id', 'text')
        .addColumn('amount_minor', 'numeric(78, 0)', (c) => c.notNull().check(sql`amount_minor > 0`))
        .addColumn('fiat_currency', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sqlEnumList(PAYOUT_STATUSES)})`))
        .addColumn('decline_reason', 'text')
        .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('next_try_at', 'timestamptz', (c) => c.notNull())
        .addColumn('leased_until', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addUniqueConstraint('payouts_provider_payout_key', ['provider', 'provider_payout_id'])
        .execute();
      await db.schema.createIndex('payouts_due_idx').on('payouts').column('next_try_at').where(sql.ref('status'), '=', 'queued').execute();
    },
  },
};
