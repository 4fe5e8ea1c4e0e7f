import type { Platform } from '../../platform.ts';
import type { InboundEvent } from '../callbacks/inbound-event.ts';
import { changeStatus, IllegalTransitionError } from '../transactions/change-status.ts';
import { findTransaction } from '../transactions/transaction-store.ts';
import { findIdentityById, lockIdentity, setIdentityKyc } from './identity-store.ts';
import { type KycDecisionEvent, type KycOutcome, parseKycDecision } from './kyc-decision.ts';
import { FINAL_VERIFICATION_STATUSES, type KycStatus, type VerificationStatus } from './kyc-status.ts';
import { findVerificationForEvent, lockVerification, updateVerification, type VerificationRow } from './verification-store.ts';

const VERIFICATION_STATUS: Record<KycOutcome, VerificationStatus> = {
  verified: 'verified',
  rejected: 'rejected',
  resubmit: 'resubmit_requested',
  in_review: 'in_review',
};

/** What a decision on the identity's current submission makes of the identity. */
const IDENTITY_STATUS: Record<KycOutcome, KycStatus> = {
  verified: 'verified',
  rejected: 'failed',
  // The user uploads again (KycState.resubmit_reason says why); the public status has no state of its own for it.
  resubmit: 'not_started',
  in_review: 'pending',
};

/**
 * Applies one `kyc.decision` event (the handler of that kind in the callbacks worker). Idempotent
 * and safe out of order:
 *
 * - a submission's decision is final: once verified, rejected or asked to resubmit, later events for
 *   it change nothing, so a duplicate, a replay after a crash or an older event delivered late is a
 *   no-op; an event older than the last one applied (by the provider's own time) is ignored too;
 * - only the identity's current submission moves the identity: a late decision on an earlier one
 *   updates that record alone;
 * - a rejection fails the submitting transaction, if it is still pending, with `kyc_rejected`
 *   (through changeStatus, so history, webhook and subscribers follow). That happens before the
 *   decision is recorded, so a crash in between is repaired by applying the event again.
 *
 * Throws (so the worker retries later) when no submission matches yet: a callback can overtake the
 * answer to `submit` by a moment.
 */
export async function applyKycDecision(platform: Platform, event: InboundEvent): Promise<void> {
  const decision = parseKycDecision(event);
  const found = await findVerificationForEvent(platform.db, decision);
  if (!found) throw new Error(`no ${decision.provider} verification ${decision.providerVerificationId} (yet)`);
  if (found.provider_verification_id !== null && found.provider_verification_id !== decision.providerVerificationId) {
    platform.logger.warn(
      { verification_id: found.id, provider: decision.provider, event_id: decision.eventId },
      'kyc decision names another provider verification than the one recorded; ignored',
    );
    return;
  }
  if (ignored(found, decision)) {
    platform.logger.debug({ verification_id: found.id, event_id: decision.eventId }, 'kyc decision changes nothing (duplicate or stale)');
    return;
  }

  if (decision.outcome === 'rejected') await failSubmittingTransaction(platform, found);

  const now = platform.clock.now();
  const applied = await platform.db.transaction().execute(async (trx) => {
    const identity = await lockIdentity(trx, found.identity_id);
    const verification = await lockVerification(trx, found.id);
    if (!verification || ignored(verification, decision)) return false;
    await updateVerification(trx, verification.id, {
      status: VERIFICATION_STATUS[decision.outcome],
      reason: decision.outcome === 'rejected' || decision.outcome === 'resubmit' ? (decision.reason ?? null) : null,
      decided_at: new Date(decision.occurredAt),
      provider_verification_id: decision.providerVerificationId,
      updated_at: now,
    });
    const status = IDENTITY_STATUS[decision.outcome];
    if (identity.current_verification_id === verification.id && identity.kyc_status === 'pending' && status !== 'pending') {
      await setIdentityKyc(trx, identity.id, {
        kyc_status: status,
        verified_at: status === 'verified' ? now : null,
        current_verification_id: verification.id,
        updated_at: now,
      });
    }
    return true;
  });
  if (applied) {
    platform.logger.info(
      { verification_id: found.id, provider: decision.provider, outcome: decision.outcome, reason: decision.reason },
      'kyc decision applied',
    );
  }
}

/**
 * A final submission takes no more events; an event older than the last one applied is stale, and
 * one of the same time saying the same is that event again.
 */
function ignored(verification: VerificationRow, decision: KycDecisionEvent): boolean {
  if (FINAL_VERIFICATION_STATUSES.has(verification.status)) return true;
  if (verification.decided_at === null) return false;
  const occurred = new Date(decision.occurredAt).getTime();
  const last = new Date(verification.decided_at).getTime();
  return occurred < last || (occurred === last && verification.status === VERIFICATION_STATUS[decision.outcome]);
}

/**
 * The transaction the rejected submission came from, failed with `kyc_rejected` while it is still
 * pending; only when that submission is the identity's current one (a stale submission's rejection
 * fails nothing).
 */
async function failSubmittingTransaction(platform: Platform, verification: VerificationRow): Promise<void> {
  const identity = await findIdentityById(platform.db, verification.identity_id);
  if (!identity || identity.current_verification_id !== verification.id) return;
  const transaction = await findTransaction(platform.db, identity.partner_id, verification.merchant_transaction_id);
  if (transaction?.status !== 'pending') return;
  try {
    await changeStatus(platform, {
      partnerId: identity.partner_id,
      merchantTransactionId: verification.merchant_transaction_id,
      to: 'failed',
      reason: 'kyc_rejected',
    });
  } catch (error) {
    // It moved on meanwhile (expired, cancelled): nothing left to fail.
    if (!(error instanceof IllegalTransitionError)) throw error;
  }
}
