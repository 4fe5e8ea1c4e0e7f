import { type ColumnType, type Generated, type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sqlEnumList } from '../../db/sql-enum.ts';
import type { PartnerConfig } from './partner-config.ts';
import { PARTNER_STATUSES, type PartnerStatus } from './partner-status.ts';

export interface PartnersTable {
  id: string;
  widget_id: string;
  name: string;
  contact_email: string;
  status: PartnerStatus;
  /** Registered origins, kept apart from `config` so a CORS preflight can find them by index. */
  origins: ColumnType<string[], string, string>;
  config: ColumnType<PartnerConfig, string, string>;
  webhook_url: string | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: ColumnType<Date, Date, Date>;
}

export interface PartnerTokensTable {
  id: string;
  partner_id: string;
  /** SHA-256 of the token: tokens are 160-bit random, so a fast hash is enough and lookups stay indexed. */
  token_hash: string;
  token_prefix: string;
  created_at: ColumnType<Date, Date, never>;
  /** Set when a newer token replaces this one: the end of its grace period. */
  expires_at: Date | null;
}

export interface PartnerTables {
  partners: PartnersTable;
  partner_tokens: PartnerTokensTable;
}

export const partnerMigrations: Record<string, Migration> = {
  '0001_partners': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('partners')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('widget_id', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('contact_email', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sqlEnumList(PARTNER_STATUSES)})`))
        .addColumn('origins', 'jsonb', (c) => c.notNull())
        .addColumn('config', 'jsonb', (c) => c.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_secret_enc', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await sql`create index partners_origins_idx on partners using gin (origins)`.execute(db);
      await db.schema
        .createTable('partner_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('token_prefix', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('partner_tokens_partner_idx').on('partner_tokens').column('partner_id').execute();
    },
  },
  // The signing secret lives in delivery's endpoint record (copied there by 0007), which rotation
  // changes: a second copy here would go stale, and keep an old secret at rest.
  '0010_partners_webhook_secret_to_delivery': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('partners').dropColumn('webhook_secret_enc').execute();
    },
  },
};

export type { Generated };
