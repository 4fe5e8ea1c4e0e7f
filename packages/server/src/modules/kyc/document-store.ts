import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { DocumentSide } from './document-types.ts';
import type { KycDocumentsTable } from './tables.ts';

export type DocumentRow = Selectable<KycDocumentsTable>;

/**
 * Stores an upload as the identity's waiting (not yet submitted) document of its side, replacing
 * the one uploaded before: concurrent uploads of one side leave exactly one row, the last.
 */
export async function upsertDraftDocument(trx: Kysely<Tables>, document: Insertable<KycDocumentsTable>): Promise<void> {
  await trx
    .insertInto('kyc_documents')
    .values(document)
    .onConflict((oc) =>
      oc
        .columns(['identity_id', 'side'])
        .where('verification_id', 'is', null)
        .doUpdateSet((eb) => ({
          id: eb.ref('excluded.id'),
          content_type: eb.ref('excluded.content_type'),
          size: eb.ref('excluded.size'),
          wrapped_key: eb.ref('excluded.wrapped_key'),
          ciphertext: eb.ref('excluded.ciphertext'),
          created_at: eb.ref('excluded.created_at'),
        })),
    )
    .execute();
}

/** The sides waiting for a submission, in upload order. */
export async function listDraftSides(db: Kysely<Tables>, identityId: string): Promise<DocumentSide[]> {
  const rows = await db
    .selectFrom('kyc_documents')
    .select('side')
    .where('identity_id', '=', identityId)
    .where('verification_id', 'is', null)
    .orderBy('created_at')
    .orderBy('side')
    .execute();
  return rows.map((row) => row.side);
}

/** The waiting documents, locked, with their sealed bytes. */
export async function lockDraftDocuments(trx: Kysely<Tables>, identityId: string): Promise<DocumentRow[]> {
  return trx
    .selectFrom('kyc_documents')
    .selectAll()
    .where('identity_id', '=', identityId)
    .where('verification_id', 'is', null)
    .forUpdate()
    .execute();
}

export async function attachDocuments(trx: Kysely<Tables>, options: { documentIds: string[]; verificationId: string }): Promise<void> {
  if (options.documentIds.length === 0) return;
  await trx.updateTable('kyc_documents').set({ verification_id: options.verificationId }).where('id', 'in', options.documentIds).execute();
}

/** Makes a submission's documents waiting again (its submission is being undone). */
export async function detachDocuments(trx: Kysely<Tables>, verificationId: string): Promise<void> {
  await trx.updateTable('kyc_documents').set({ verification_id: null }).where('verification_id', '=', verificationId).execute();
}

export async function deleteDocuments(trx: Kysely<Tables>, documentIds: string[]): Promise<void> {
  if (documentIds.length === 0) return;
  await trx.deleteFrom('kyc_documents').where('id', 'in', documentIds).execute();
}

/** Deletes up to `limit` documents uploaded before `before`; returns how many. */
export async function deleteDocumentsUploadedBefore(db: Kysely<Tables>, options: { before: Date; limit: number }): Promise<number> {
  const result = await db
    .deleteFrom('kyc_documents')
    .where('id', 'in', (eb) => eb.selectFrom('kyc_documents').select('id').where('created_at', '<', options.before).limit(options.limit))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
