import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { listDraftSides } from './document-store.ts';
import type { DocumentSide } from './document-types.ts';
import { findIdentity, type IdentityKey, type IdentityRow } from './identity-store.ts';
import type { KycStatus } from './kyc-status.ts';
import { findVerification } from './verification-store.ts';

/** What the widget needs to show the identity step, or to skip it. */
export interface KycState {
  status: KycStatus;
  /** False once verified: every later transaction of the user skips the step. */
  required: boolean;
  /** Set when the provider asked for new documents (status is `not_started` again), e.g. `blurry_image`. */
  resubmit_reason?: string;
  /** Set when the identity was rejected (status `failed`; a later transaction may try again), e.g. `document_expired`. */
  failure_reason?: string;
  /** Sides uploaded for the next submission. */
  uploaded: DocumentSide[];
}

/** The user's identity step as it stands. 404 `not_found` for a user the partner never sent. */
export async function getKycState(platform: Platform, key: IdentityKey): Promise<KycState> {
  const identity = await findIdentity(platform.db, key);
  if (!identity) throw new ApiError('not_found', 'No such user.');
  return kycStateOf(platform.db, identity);
}

export async function kycStateOf(db: Kysely<Tables>, identity: IdentityRow): Promise<KycState> {
  const current = identity.current_verification_id ? await findVerification(db, identity.current_verification_id) : undefined;
  const status = identity.kyc_status;
  const reason = current?.reason ?? undefined;
  return {
    status,
    required: status !== 'verified',
    ...(status === 'not_started' && current?.status === 'resubmit_requested' && reason ? { resubmit_reason: reason } : {}),
    ...(status === 'failed' && current?.status === 'rejected' && reason ? { failure_reason: reason } : {}),
    uploaded: status === 'verified' ? [] : await listDraftSides(db, identity.id),
  };
}
