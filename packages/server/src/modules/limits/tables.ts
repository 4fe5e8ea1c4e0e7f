import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Rate-limit windows shared by every node on one PostgreSQL: one row per limited key (the per-token
 * API limits, the failed-authentication throttle per address). The key is a SHA-256 of the scope and
 * the token hash, credential or address, never the value itself. A row is useless once its window
 * ended; the store deletes those as it goes. The embedded database counts in memory instead (it is
 * one process by construction), so this table stays empty there.
 */
export interface RateLimitWindowsTable {
  key: string;
  count: number;
  ends_at: Date;
  /** When the throttle last let a rationed lookup through in this window. */
  rationed_at: Date | null;
}

export interface LimitTables {
  rate_limit_windows: RateLimitWindowsTable;
}

export const limitMigrations: Record<string, Migration> = {
  '0057_rate_limit_windows': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('rate_limit_windows')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
        .addColumn('rationed_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('rate_limit_windows_ends_at').on('rate_limit_windows').column('ends_at').execute();
    },
  },
};
