import { type ColumnType, type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sqlEnumList } from '../../db/sql-enum.ts';
import type { ThreeDsChallenge } from './payment-provider.ts';
import type { CardBrand } from './payment-source.ts';
import {
  IN_FLIGHT_STATUSES,
  PAYMENT_ATTEMPT_STATUSES,
  PAYMENT_METHODS,
  type PaymentAttemptStatus,
  type PaymentMethod,
} from './payment-vocabulary.ts';

/**
 * One row per try at paying a buy: its own provider id, what was charged and how it ended. The card
 * number, expiry and CVC are never stored; `card_brand` and `card_last4` are all the platform keeps
 * of a card. A transaction has at most one attempt in flight and at most one attempt that paid it
 * (both held by partial unique indexes, not only by the code).
 */
export interface PaymentAttemptsTable {
  /** `pay_` + 20 base62 characters; also the provider's idempotency key and the callbacks' reference. */
  id: string;
  transaction_id: string;
  partner_id: string;
  /** 1, 2, 3 … within the transaction, errored attempts included. */
  number: number;
  /** The adapter's name, e.g. "sandbox-payments". */
  provider: string;
  /** Unknown until the provider answers (null for an attempt that never reached it); unique per provider. */
  provider_payment_id: string | null;
  method: PaymentMethod;
  card_brand: CardBrand | null;
  card_last4: string | null;
  /** The locked quote's fiat amount, in minor units (numeric, as every money column). */
  amount_minor: ColumnType<string, string, string>;
  fiat_currency: string;
  status: PaymentAttemptStatus;
  /** Why it was declined or failed (DECLINE_REASONS). */
  decline_reason: string | null;
  /** The 3-D Secure challenge to show while `requires_action`. */
  challenge: ColumnType<ThreeDsChallenge | null, string | null, string | null>;
  /** For an errored attempt, the ProviderError kind (unavailable, invalid_response, rejected). */
  error_kind: string | null;
  /** True on the one attempt whose capture moved the transaction to processing. */
  pays_transaction: boolean;
  /** Set when a refund is decided (delivery failed, a capture arrived too late); the provider is asked until it accepts. */
  refund_reason: string | null;
  provider_refund_id: string | null;
  /** When the provider accepted the refund request; its completion comes by callback (`refunded_at`). */
  refund_requested_at: Date | null;
  refunded_at: Date | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface PaymentTables {
  payment_attempts: PaymentAttemptsTable;
}

export const paymentMigrations: Record<string, Migration> = {
  '0022_payment_attempts': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('payment_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transaction_id', 'uuid', (c) => c.notNull().references('transactions.id'))
        .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
        .addColumn('number', 'integer', (c) => c.notNull().check(sql`number >= 1`))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('provider_payment_id', 'text')
        .addColumn('method', 'text', (c) => c.notNull().check(sql`method in (${sqlEnumList(PAYMENT_METHODS)})`))
        .addColumn('card_brand', 'text')
        .addColumn('card_last4', 'text', (c) => c.check(sql`card_last4 ~ '^[0-9]{4}$'`))
        .addColumn('amount_minor', 'numeric(78, 0)', (c) => c.notNull().check(sql`amount_minor > 0`))
        .addColumn('fiat_currency', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sqlEnumList(PAYMENT_ATTEMPT_STATUSES)})`))
        .addColumn('decline_reason', 'text')
        .addColumn('challenge', 'jsonb')
        .addColumn('error_kind', 'text')
        .addColumn('pays_transaction', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('refund_reason', 'text')
        .addColumn('provider_refund_id', 'text')
        .addColumn('refund_requested_at', 'timestamptz')
        .addColumn('refunded_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addUniqueConstraint('payment_attempts_number_key', ['transaction_id', 'number'])
        .addUniqueConstraint('payment_attempts_provider_payment_key', ['provider', 'provider_payment_id'])
        .execute();
      // One attempt in flight per transaction: a second start while one waits is refused (409 payment_in_progress).
      await db.schema
        .createIndex('payment_attempts_in_flight_key')
        .unique()
        .on('payment_attempts')
        .column('transaction_id')
        .where(sql<boolean>`status in (${sqlEnumList(IN_FLIGHT_STATUSES)})`)
        .execute();
      // One attempt pays a transaction; any other capture of it is refunded.
      await db.schema
        .createIndex('payment_attempts_pays_key')
        .unique()
        .on('payment_attempts')
        .column('transaction_id')
        .where(sql.ref('pays_transaction'), '=', true)
        .execute();
    },
  },
};
