import { ApiError, invalidField } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { sealDocument } from './document-envelope.ts';
import { upsertDraftDocument } from './document-store.ts';
import { acceptedContentTypes, type DocumentContentType, type DocumentSide, isDocumentSide } from './document-types.ts';
import { findKycSubject, type KycSubject, refusalFor } from './find-kyc-subject.ts';
import { lockIdentity } from './identity-store.ts';
import { newDocumentId } from './kyc-ids.ts';
import { sniffContentType } from './sniff-content-type.ts';

export interface StoreDocumentRequest extends KycSubject {
  side: DocumentSide;
  /** The file exactly as uploaded; its type is read from these bytes, never from a name or a header. */
  bytes: Uint8Array;
}

export interface StoredDocument {
  document_id: string;
  side: DocumentSide;
  content_type: DocumentContentType;
  size: number;
}

/**
 * Takes one side of the identity document (or the selfie) for the user's next submission: checks
 * its size and its bytes (JPEG, PNG or PDF; a selfie JPEG or PNG), seals it under a data key of its
 * own and stores it, replacing an earlier upload of the same side that was not submitted yet.
 *
 * Refuses with 400 `validation_error` (an empty file, an unknown side), 413 `body_too_large` (over
 * KYC_MAX_UPLOAD_BYTES), 415 `unsupported_media_type` (not a type the side takes), 404 `not_found`
 * (not this user's transaction), 409 `transaction_not_pending`, `kyc_already_verified`, `kyc_in_progress`.
 */
export async function storeDocument(platform: Platform, request: StoreDocumentRequest): Promise<StoredDocument> {
  const { side, bytes } = request;
  if (!isDocumentSide(side)) throw invalidField('side', 'must be one of: front, back, selfie');
  if (bytes.length === 0) throw invalidField('file', 'is empty');
  const limit = platform.config.kycMaxUploadBytes;
  if (bytes.length > limit) throw new ApiError('body_too_large', `The file is larger than ${limit} bytes.`);
  const contentType = sniffContentType(bytes);
  const accepted = acceptedContentTypes(side);
  if (!contentType || !accepted.includes(contentType)) {
    throw new ApiError(
      'unsupported_media_type',
      side === 'selfie' ? 'The selfie must be a JPEG or PNG photo.' : 'The document must be a JPEG or PNG photo, or a PDF scan.',
    );
  }
  const { identity } = await findKycSubject(platform, request);

  const id = newDocumentId();
  const sealed = sealDocument(platform.sealer, { documentId: id, bytes });
  await platform.db.transaction().execute(async (trx) => {
    const locked = await lockIdentity(trx, identity.id);
    const refusal = refusalFor(locked.kyc_status);
    if (refusal) throw refusal;
    await upsertDraftDocument(trx, {
      id,
      identity_id: identity.id,
      verification_id: null,
      side,
      content_type: contentType,
      size: bytes.length,
      wrapped_key: sealed.wrappedKey,
      ciphertext: sealed.ciphertext,
      created_at: platform.clock.now(),
    });
  });
  return { document_id: id, side, content_type: contentType, size: bytes.length };
}
