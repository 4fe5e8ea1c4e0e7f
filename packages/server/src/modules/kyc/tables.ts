import { type ColumnType, type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sqlEnumList } from '../../db/sql-enum.ts';
import {
  DOCUMENT_CONTENT_TYPES,
  DOCUMENT_SIDES,
  DOCUMENT_TYPES,
  type DocumentContentType,
  type DocumentSide,
  type DocumentType,
} from './document-types.ts';
import { KYC_STATUSES, type KycStatus, VERIFICATION_STATUSES, type VerificationStatus } from './kyc-status.ts';

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
  /** The latest submission (kyc_verifications.id): only its decisions move kyc_status. */
  current_verification_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

/**
 * One row per submission to a KYC provider. Holds no PII: the person's name and document number go
 * to the provider and are not kept; `reason` is a code such as `document_expired`.
 */
export interface KycVerificationsTable {
  /** `kyv_…`; also the reference the provider echoes in its callbacks. */
  id: string;
  identity_id: string;
  /** The transaction the user submitted from (internal id), and its merchant_transaction_id for status changes. */
  transaction_id: string;
  merchant_transaction_id: string;
  provider: string;
  /** Null until the provider acknowledged the submission. */
  provider_verification_id: string | null;
  document_type: DocumentType;
  status: VerificationStatus;
  reason: string | null;
  /** When the provider made the decision last applied (its own time): older events are stale. */
  decided_at: Date | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

/**
 * Uploaded sides, sealed (document-envelope.ts). `verification_id` is null while the upload waits
 * for its submission: one such draft per (identity, side), a new upload replaces it.
 */
export interface KycDocumentsTable {
  /** `kyd_…`; the associated data of its ciphertext. */
  id: string;
  identity_id: string;
  verification_id: string | null;
  side: DocumentSide;
  /** Sniffed from the bytes. */
  content_type: DocumentContentType;
  size: number;
  wrapped_key: string;
  ciphertext: Uint8Array;
  created_at: Date;
}

export interface KycTables {
  identities: IdentitiesTable;
  kyc_verifications: KycVerificationsTable;
  kyc_documents: KycDocumentsTable;
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
  '0030_kyc_documents': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('kyc_verifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('identity_id', 'uuid', (c) => c.notNull().references('identities.id'))
        .addColumn('transaction_id', 'uuid', (c) => c.notNull().references('transactions.id'))
        .addColumn('merchant_transaction_id', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('provider_verification_id', 'text')
        .addColumn('document_type', 'text', (c) => c.notNull().check(sql`document_type in (${sqlEnumList(DOCUMENT_TYPES)})`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sqlEnumList(VERIFICATION_STATUSES)})`))
        .addColumn('reason', 'text')
        .addColumn('decided_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addUniqueConstraint('kyc_verifications_provider_id_key', ['provider', 'provider_verification_id'])
        .execute();
      await db.schema.createIndex('kyc_verifications_identity_idx').on('kyc_verifications').column('identity_id').execute();
      await db.schema
        .createTable('kyc_documents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('identity_id', 'uuid', (c) => c.notNull().references('identities.id'))
        .addColumn('verification_id', 'text', (c) => c.references('kyc_verifications.id'))
        .addColumn('side', 'text', (c) => c.notNull().check(sql`side in (${sqlEnumList(DOCUMENT_SIDES)})`))
        .addColumn('content_type', 'text', (c) => c.notNull().check(sql`content_type in (${sqlEnumList(DOCUMENT_CONTENT_TYPES)})`))
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('wrapped_key', 'text', (c) => c.notNull())
        .addColumn('ciphertext', 'bytea', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      // One waiting upload per side: a second upload of the side replaces the first.
      await db.schema
        .createIndex('kyc_documents_draft_key')
        .unique()
        .on('kyc_documents')
        .columns(['identity_id', 'side'])
        .where(sql.ref('verification_id'), 'is', null)
        .execute();
      await db.schema.createIndex('kyc_documents_verification_idx').on('kyc_documents').column('verification_id').execute();
      // The retention purge deletes by age.
      await db.schema.createIndex('kyc_documents_created_idx').on('kyc_documents').column('created_at').execute();
    },
  },
  '0031_identities_current_verification': {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('identities')
        .addColumn('current_verification_id', 'text', (c) => c.references('kyc_verifications.id'))
        .execute();
    },
  },
};
