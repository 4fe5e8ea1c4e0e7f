import { type ColumnType, type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sqlEnumList } from '../../db/sql-enum.ts';
import { KYC_STATUSES, type KycStatus } from './kyc-status.ts';

export type { KycStatus };

/** One identity per (partner, partner_user_id). The email is PII: sealed, with a blind index to find it. */
export interface IdentitiesTable {
  id: string;
  partner_id: string;
  partner_user_id: string;
  email_enc: string;
  email_index: string;
  kyc_status: KycStatus;
  verified_at: Date | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface KycTables {
  identities: IdentitiesTable;
}

export const kycMigrations: Record<string, Migration> = {
  '0002_identities': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('identities')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
        .addColumn('partner_user_id', 'text', (c) => c.notNull())
        .addColumn('email_enc', 'text', (c) => c.notNull())
        .addColumn('email_index', 'text', (c) => c.notNull())
        .addColumn('kyc_status', 'text', (c) => c.notNull().check(sql`kyc_status in (${sqlEnumList(KYC_STATUSES)})`))
        .addColumn('verified_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addUniqueConstraint('identities_partner_user_key', ['partner_id', 'partner_user_id'])
        .execute();
      await db.schema.createIndex('identities_email_idx').on('identities').columns(['partner_id', 'email_index']).execute();
    },
  },
};
