import type { ColumnType, Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Idempotency-Key records: kept for IDEMPOTENCY_TTL (default 24 h), then the key may be used afresh. */
export interface IdempotencyKeysTable {
  partner_id: string;
  key: string;
  request_hash: string;
  response: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  created_at: Date;
}

export interface SessionTables {
  idempotency_keys: IdempotencyKeysTable;
}

export const sessionMigrations: Record<string, Migration> = {
  '0004_idempotency_keys': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('response', 'jsonb')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pkey', ['partner_id', 'key'])
        .execute();
    },
  },
};
