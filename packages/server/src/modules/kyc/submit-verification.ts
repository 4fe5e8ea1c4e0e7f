import { ApiError, type ErrorDetail, invalidField } from '../../lib/errors.ts';
import { PRINTABLE_TEXT } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { openDocument } from './document-envelope.ts';
import { attachDocuments, deleteDocuments, detachDocuments, lockDraftDocuments } from './document-store.ts';
import { type DocumentType, isDocumentType, requiredSides } from './document-types.ts';
import { findKycSubject, type KycSubject, refusalFor } from './find-kyc-subject.ts';
import { getKycState, type KycState } from './get-kyc-state.ts';
import { lockIdentity, setIdentityKyc } from './identity-store.ts';
import { newVerificationId } from './kyc-ids.ts';
import type { KycDocumentInput, KycPerson } from './kyc-provider.ts';
import { deleteVerification, insertVerification, lockVerification, setProviderVerificationId } from './verification-store.ts';

/**
 * A submission the provider never acknowledged (the process died between claiming it and recording
 * the provider's answer) blocks the user for this long, then counts as never made. The provider's
 * own timeout is a few seconds, so 5 minutes is far past any answer still on its way.
 */
const ABANDONED_AFTER_MS = 5 * 60_000;

export interface SubmitVerificationRequest extends KycSubject {
  documentType: DocumentType;
  /** Sent to the provider and never stored: the sandbox reads its test values from `last_name`. */
  person: KycPerson;
}

/**
 * Submits the uploaded sides for verification, the steps Medusa-style with a compensation:
 *
 * 1. claim (one database transaction, the identity row locked): the identity must be `not_started`
 *    or `failed` and the type's sides uploaded; a `kyv_…` record is made, the sides attached to it
 *    (an uploaded back is discarded for a passport, which has none), and the identity becomes `pending`;
 * 2. hand the decrypted sides and the person to the provider;
 * 3. record the provider's id; or, when the provider failed, undo step 1 (the record deleted, the
 *    sides waiting again, the identity as it was) and let the ProviderError answer its 502. A
 *    submission the process died in the middle of is taken over after 5 minutes (ABANDONED_AFTER_MS).
 *
 * The decision arrives later (applyKycDecision). Refuses with 400 `validation_error` (type or person),
 * 400 `missing_param` (a side not uploaded, one detail per side), 404, 409 `transaction_not_pending`,
 * `kyc_already_verified`, `kyc_in_progress`.
 */
export async function submitVerification(platform: Platform, request: SubmitVerificationRequest): Promise<KycState> {
  const { documentType, person } = request;
  if (!isDocumentType(documentType)) throw invalidField('document_type', 'must be one of: passport, national_id, driving_licence');
  checkPerson(person);
  const { identity, transaction } = await findKycSubject(platform, request);
  const provider = platform.providers.kyc;
  const verificationId = newVerificationId();
  const now = platform.clock.now();

  const claimed = await platform.db.transaction().execute(async (trx) => {
    const locked = await lockIdentity(trx, identity.id);
    let before: Before = { kyc_status: locked.kyc_status as Before['kyc_status'], current_verification_id: locked.current_verification_id };
    if (locked.kyc_status === 'pending' && (await abandoned(platform, trx, locked.current_verification_id))) {
      before = { kyc_status: 'not_started', current_verification_id: locked.current_verification_id };
    } else {
      const refusal = refusalFor(locked.kyc_status);
      if (refusal) throw refusal;
    }
    const drafts = await lockDraftDocuments(trx, identity.id);
    const needed = requiredSides(documentType);
    const missing = needed.filter((side) => !drafts.some((draft) => draft.side === side));
    if (missing.length > 0) {
      const details: ErrorDetail[] = missing.map((side) => ({ field: `documents.${side}`, issue: 'is not uploaded' }));
      throw new ApiError('missing_param', `A ${documentType.replace('_', ' ')} needs ${missing.join(', ')} uploaded first.`, { details });
    }
    const used = drafts.filter((draft) => needed.includes(draft.side));
    await insertVerification(trx, {
      id: verificationId,
      identity_id: identity.id,
      transaction_id: transaction.id,
      merchant_transaction_id: transaction.merchant_transaction_id,
      provider: provider.name,
      provider_verification_id: null,
      document_type: documentType,
      status: 'pending',
      reason: null,
      decided_at: null,
      created_at: now,
      updated_at: now,
    });
    await attachDocuments(trx, { documentIds: used.map((draft) => draft.id), verificationId });
    await deleteDocuments(
      trx,
      drafts.filter((draft) => !needed.includes(draft.side)).map((draft) => draft.id),
    );
    await setIdentityKyc(trx, identity.id, {
      kyc_status: 'pending',
      verified_at: null,
      current_verification_id: verificationId,
      updated_at: now,
    });
    return { before, used };
  });

  let providerVerificationId: string;
  try {
    const documents: KycDocumentInput[] = claimed.used.map((draft) => ({
      side: draft.side,
      contentType: draft.content_type,
      bytes: openDocument(platform.sealer, {
        documentId: draft.id,
        sealed: { wrappedKey: draft.wrapped_key, ciphertext: Buffer.from(draft.ciphertext) },
      }),
    }));
    ({ providerVerificationId } = await provider.submit({ verificationId, documentType, documents, person }));
  } catch (error) {
    await undoClaim(platform, { identityId: identity.id, verificationId, before: claimed.before });
    throw error;
  }
  // Once the provider has it, the claim stands even if this write fails: its callbacks name our id too.
  await setProviderVerificationId(platform.db, { id: verificationId, providerVerificationId, now: platform.clock.now() });
  platform.logger.info(
    { verification_id: verificationId, provider: provider.name, document_type: documentType },
    'identity submitted for verification',
  );
  return getKycState(platform, request);
}

/** What the identity was before a claim: what undoing the claim restores. */
interface Before {
  kyc_status: 'not_started' | 'failed';
  current_verification_id: string | null;
}

/** Step 3's compensation: as if the submission had never been claimed (unless a decision already arrived for it). */
async function undoClaim(platform: Platform, options: { identityId: string; verificationId: string; before: Before }): Promise<void> {
  const { identityId, verificationId, before } = options;
  await platform.db.transaction().execute(async (trx) => {
    const identity = await lockIdentity(trx, identityId);
    const verification = await lockVerification(trx, verificationId);
    if (identity.current_verification_id !== verificationId || verification?.status !== 'pending') return;
    await detachDocuments(trx, verificationId);
    await setIdentityKyc(trx, identityId, {
      kyc_status: before.kyc_status,
      verified_at: null,
      current_verification_id: before.current_verification_id,
      updated_at: platform.clock.now(),
    });
    await deleteVerification(trx, verificationId);
  });
}

/**
 * Whether the identity's pending submission was claimed long ago and never acknowledged; if so its
 * sides wait again for the new one. Its record stays (a late callback may still name it; being no
 * longer current, it then changes only that record).
 */
async function abandoned(platform: Platform, trx: Parameters<typeof lockVerification>[0], verificationId: string | null): Promise<boolean> {
  if (!verificationId) return false;
  const current = await lockVerification(trx, verificationId);
  if (!current || current.provider_verification_id !== null || current.status !== 'pending') return false;
  if (platform.clock.now().getTime() - new Date(current.created_at).getTime() < ABANDONED_AFTER_MS) return false;
  await detachDocuments(trx, current.id);
  platform.logger.warn({ verification_id: current.id, provider: current.provider }, 'an unacknowledged identity submission was abandoned');
  return true;
}

function checkPerson(person: KycPerson): void {
  const text = (field: keyof KycPerson, value: unknown, maxLength: number, optional = false) => {
    if (optional && value === undefined) return;
    if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || !PRINTABLE_TEXT.test(value)) {
      throw invalidField(`person.${field}`, `must be 1 to ${maxLength} printable characters`);
    }
  };
  if (typeof person !== 'object' || person === null) throw invalidField('person', 'is required');
  text('first_name', person.first_name, 100);
  text('last_name', person.last_name, 100);
  text('document_number', person.document_number, 64, true);
}
