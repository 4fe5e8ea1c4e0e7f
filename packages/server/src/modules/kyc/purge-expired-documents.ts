import type { Platform } from '../../platform.ts';
import { deleteDocumentsUploadedBefore } from './document-store.ts';

/** Deleted per statement: each row may hold up to KYC_MAX_UPLOAD_BYTES, so one statement stays small. */
const BATCH = 200;

/**
 * Deletes identity documents uploaded before `before` (the purge job passes now minus
 * KYC_DOCUMENT_RETENTION), submitted or not; returns how many. Verification records stay: they hold
 * the decision and its reason, no document and no PII.
 */
export async function purgeExpiredDocuments(platform: Platform, before: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteDocumentsUploadedBefore(platform.db, { before, limit: BATCH });
    total += deleted;
    if (deleted < BATCH) return total;
  }
}
