import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { findTransaction, type TransactionRow } from '../transactions/transaction-store.ts';
import { findIdentity, type IdentityRow } from './identity-store.ts';

/** Who is verifying, and from which transaction: the callers of the widget's identity step name both. */
export interface KycSubject {
  partnerId: string;
  partnerUserId: string;
  /** The partner's merchant_transaction_id of the transaction the user is in. */
  merchantTransactionId: string;
}

/**
 * The identity and its transaction, checked to belong together: another partner's or another
 * user's transaction is not found (as an unknown one is), and only a pending transaction takes
 * documents and submissions.
 */
export async function findKycSubject(
  platform: Platform,
  subject: KycSubject,
): Promise<{ identity: IdentityRow; transaction: TransactionRow }> {
  const identity = await findIdentity(platform.db, subject);
  const transaction = identity && (await findTransaction(platform.db, subject.partnerId, subject.merchantTransactionId));
  if (!identity || !transaction || transaction.identity_id !== identity.id || transaction.partner_user_id !== subject.partnerUserId) {
    throw new ApiError('not_found', 'No such transaction for this user.');
  }
  if (transaction.status !== 'pending') {
    throw new ApiError(
      'transaction_not_pending',
      `The transaction is ${transaction.status}; identity documents are taken for pending transactions only.`,
    );
  }
  return { identity, transaction };
}

/** The 409 for an identity that takes no new documents or submissions, or nothing when it does. */
export function refusalFor(kycStatus: IdentityRow['kyc_status']): ApiError | undefined {
  if (kycStatus === 'verified') return new ApiError('kyc_already_verified', 'This user is already verified; the identity step is skipped.');
  if (kycStatus === 'pending') {
    return new ApiError('kyc_in_progress', "This user's identity documents are being checked; wait for the decision.");
  }
  return undefined;
}
