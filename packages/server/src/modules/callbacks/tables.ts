import { type ColumnType, type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sqlEnumList } from '../../db/sql-enum.ts';

/** Where an inbound event stands: waiting to be applied (or retried), applied, or given up on. */
export const INBOUND_EVENT_STATUSES = ['pending', 'applied', 'dead'] as const;
export type InboundEventStatus = (typeof INBOUND_EVENT_STATUSES)[number];

/**
 * The inbox of provider callbacks: one row per (provider, provider's event id), written when the
 * callback's signature has been checked and before it is acknowledged, then applied by a leased
 * worker. The unique key is what makes a duplicate delivery a no-op. `event` is the canonical form
 * the handler reads; `raw_enc` keeps the vendor's bytes, sealed (they may carry personal data).
 */
export interface ProviderEventsTable {
  id: ColumnType<string, never, never>;
  provider: string;
  event_id: string;
  kind: string;
  event: ColumnType<Record<string, unknown>, string, string>;
  raw_enc: string;
  status: InboundEventStatus;
  attempts: number;
  next_attempt_at: Date;
  lease_until: Date | null;
  last_error: string | null;
  received_at: ColumnType<Date, Date, never>;
  applied_at: Date | null;
}

export interface CallbackTables {
  provider_events: ProviderEventsTable;
}

export const callbackMigrations: Record<string, Migration> = {
  '0011_provider_events': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('provider_events')
        .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('event', 'jsonb', (c) => c.notNull())
        .addColumn('raw_enc', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sqlEnumList(INBOUND_EVENT_STATUSES)})`))
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
        .addColumn('lease_until', 'timestamptz')
        .addColumn('last_error', 'text')
        .addColumn('received_at', 'timestamptz', (c) => c.notNull())
        .addColumn('applied_at', 'timestamptz')
        .addUniqueConstraint('provider_events_event_key', ['provider', 'event_id'])
        .execute();
      await db.schema
        .createIndex('provider_events_due_idx')
        .on('provider_events')
        .columns(['next_attempt_at', 'id'])
        .where(sql.ref('status'), '=', 'pending')
        .execute();
    },
  },
};
