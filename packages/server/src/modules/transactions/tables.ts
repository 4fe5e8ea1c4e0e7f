import { type ColumnType, type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sqlEnumList } from '../../db/sql-enum.ts';
import { TRANSACTION_STATUSES, TRANSACTION_TYPES, type TransactionStatus, type TransactionType } from './transaction-status.ts';

/** Money columns hold integer minor units as numeric (ETH has 18 decimals: more than int8 holds). */
type Minor = ColumnType<string, string, string>;

export interface TransactionsTable {
  id: string;
  partner_id: string;
  merchant_transaction_id: string;
  identity_id: string;
  partner_user_id: string;
  type: TransactionType;
  status: TransactionStatus;
  failure_reason: string | null;
  currency: string;
  network: string;
  address: string;
  /** The locked quote; all null while the user has not chosen an amount (a session created without one). */
  quote_crypto_minor: Minor | null;
  fiat_currency: string;
  quote_fiat_minor: Minor | null;
  fee_fiat_minor: Minor | null;
  network_fee_crypto_minor: Minor | null;
  rate: string | null;
  /** Until when the quote holds: payment is taken at it only before then; null for a quote that was never locked. */
  quote_expires_at: Date | null;
  /** What was actually sent or received; unknown until the transaction reaches processing. */
  settled_crypto_minor: Minor | null;
  payment_method: string | null;
  /** The hash of the transfer that delivered a buy's crypto, recorded with the change to completed. */
  tx_hash: string | null;
  client_ip: string | null;
  /** Digest of the creating request, to tell a retry from a different request with the same id. */
  request_hash: string;
  /** The session response as first returned, replayed verbatim on an idempotent retry. */
  session: ColumnType<Record<string, unknown>, string, string>;
  init_token_expires_at: Date;
  /**
   * Set while another module keeps a pending transaction open past its deadline (settlement: a sell
   * whose deposit was seen in its window and is gaining confirmations); the expiry job leaves it alone.
   */
  expiry_held_at: Date | null;
  version: ColumnType<number, number, number>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface TransactionTables {
  transactions: TransactionsTable;
  transaction_events: TransactionEventsTable;
}

export const transactionMigrations: Record<string, Migration> = {
  // A sell whose deposit arrived in its window must not expire while the deposit gains its
  // confirmations: settlement holds it open (expire-transactions.ts leaves held rows alone).
  '0053_transactions_expiry_hold': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('transactions').addColumn('expiry_held_at', 'timestamptz').execute();
    },
  },
  '0003_transactions': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('transactions')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
        .addColumn('merchant_transaction_id', 'text', (c) => c.notNull())
        .addColumn('identity_id', 'uuid', (c) => c.notNull().references('identities.id'))
        .addColumn('partner_user_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull().check(sql`type in (${sqlEnumList(TRANSACTION_TYPES)})`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sqlEnumList(TRANSACTION_STATUSES)})`))
        .addColumn('failure_reason', 'text')
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('quote_crypto_minor', 'numeric(78, 0)', (c) => c.notNull())
        .addColumn('fiat_currency', 'text', (c) => c.notNull())
        .addColumn('quote_fiat_minor', 'numeric(78, 0)', (c) => c.notNull())
        .addColumn('fee_fiat_minor', 'numeric(78, 0)', (c) => c.notNull())
        .addColumn('network_fee_crypto_minor', 'numeric(78, 0)', (c) => c.notNull())
        .addColumn('rate', 'text', (c) => c.notNull())
        .addColumn('settled_crypto_minor', 'numeric(78, 0)')
        .addColumn('payment_method', 'text')
        .addColumn('client_ip', 'text')
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('session', 'jsonb', (c) => c.notNull())
        .addColumn('init_token_expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addUniqueConstraint('transactions_partner_mtid_key', ['partner_id', 'merchant_transaction_id'])
        .execute();
      await db.schema.createIndex('transactions_user_idx').on('transactions').columns(['partner_id', 'partner_user_id']).execute();
    },
  },
  // A session may be created without an amount: the user picks it in the widget, and the quote is
  // locked then, for QUOTE_TTL.
  '0012_open_amount_quotes': {
    async up(db: Kysely<any>) {
      for (const column of ['quote_crypto_minor', 'quote_fiat_minor', 'fee_fiat_minor', 'network_fee_crypto_minor', 'rate']) {
        await db.schema
          .alterTable('transactions')
          .alterColumn(column, (c) => c.dropNotNull())
          .execute();
      }
      await db.schema.alterTable('transactions').addColumn('quote_expires_at', 'timestamptz').execute();
    },
  },
  // The expiry job looks for pending transactions past their deadline; these partial indexes hold
  // only pending rows, so the search costs the same with a million finished transactions beside them.
  '0009_transactions_expiry_indexes': {
    async up(db: Kysely<any>) {
      await db.schema
        .createIndex('transactions_pending_buy_deadline_idx')
        .on('transactions')
        .column('init_token_expires_at')
        .where(sql.ref('status'), '=', 'pending')
        .where(sql.ref('type'), '=', 'buy')
        .execute();
      await db.schema
        .createIndex('transactions_pending_sell_created_idx')
        .on('transactions')
        .column('created_at')
        .where(sql.ref('status'), '=', 'pending')
        .where(sql.ref('type'), '=', 'sell')
        .execute();
    },
  },
  // The settlement module hands the delivering transfer's hash over with the change to completed;
  // partners read it in the view, the history and the webhook.
  '0045_transactions_tx_hash': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('transactions').addColumn('tx_hash', 'text').execute();
    },
  },
};

/**
 * The history of every transaction: one row per status change, numbered per transaction (`seq`
 * equals the transaction's version after the change), with the exact message subscribers were sent.
 * Written in the same database transaction as the change.
 */
export interface TransactionEventsTable {
  id: ColumnType<string, never, never>;
  transaction_id: string;
  partner_id: string;
  seq: number;
  status: TransactionStatus;
  reason: string | null;
  occurred_at: Date;
  message: ColumnType<Record<string, unknown>, string, string>;
}

export const transactionEventMigrations: Record<string, Migration> = {
  '0005_transaction_events': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('transaction_events')
        .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('transaction_id', 'uuid', (c) => c.notNull().references('transactions.id'))
        .addColumn('partner_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
        .addColumn('message', 'jsonb', (c) => c.notNull())
        .addUniqueConstraint('transaction_events_seq_key', ['transaction_id', 'seq'])
        .execute();
    },
  },
};
