import type { ColumnType, Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * One row per transaction whose widget was opened: the init_token is exchanged for a widget
 * credential once, and this row (its primary key) is what makes the exchange single-use across nodes.
 */
export interface EmbedSessionsTable {
  transaction_id: string;
  partner_id: string;
  opened_at: ColumnType<Date, Date, never>;
  credential_expires_at: Date;
}

export interface EmbedTables {
  embed_sessions: EmbedSessionsTable;
}

export const embedMigrations: Record<string, Migration> = {
  '0013_embed_sessions': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('embed_sessions')
        .addColumn('transaction_id', 'uuid', (c) => c.primaryKey().references('transactions.id'))
        .addColumn('partner_id', 'text', (c) => c.notNull())
        .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
        .addColumn('credential_expires_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
};
