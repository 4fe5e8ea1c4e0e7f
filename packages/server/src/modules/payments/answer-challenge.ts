import { ApiError, invalidField } from '../../lib/errors.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import { PRINTABLE_TEXT } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { announceStatusChanges } from '../transactions/change-status.ts';
import { lockTransaction } from '../transactions/transaction-store.ts';
import { applyOutcome } from './apply-payment-update.ts';
import { lockAttempt, updateAttempt } from './payment-attempt-store.ts';
import { getPaymentState, type PaymentState } from './payment-state.ts';

export interface AnswerChallengeRequest {
  partnerId: string;
  merchantTransactionId: string;
  attemptId: string;
  /** What the user typed into the 3-D Secure step; passed to the provider, never stored or logged. */
  answer: string;
}

/**
 * Passes the user's answer to the attempt's 3-D Secure challenge to the provider; the outcome comes
 * by callback (captured, or failed with three_ds_failed). The attempt leaves `requires_action` for
 * `pending` before the provider is asked, so two answers racing each other reach the provider once
 * (the second gets 409 no_challenge_pending). When the provider cannot be reached, the attempt
 * goes back to `requires_action` (the user may answer again) and the ProviderError is thrown on;
 * when it refuses the answer outright, the attempt fails (processing_error) and the user may retry.
 */
export async function answerChallenge(platform: Platform, request: AnswerChallengeRequest): Promise<PaymentState> {
  const { partnerId, merchantTransactionId, attemptId, answer } = request;
  if (typeof answer !== 'string' || answer.length === 0 || answer.length > 64 || !PRINTABLE_TEXT.test(answer)) {
    throw invalidField('answer', 'must be 1 to 64 printable characters');
  }
  const attempt = await platform.db.transaction().execute(async (trx) => {
    const transaction = await lockTransaction(trx, { partnerId, merchantTransactionId });
    if (!transaction) throw new ApiError('not_found', 'No such transaction.');
    const found = await lockAttempt(trx, attemptId);
    if (!found || found.transaction_id !== transaction.id) throw new ApiError('not_found', 'No such payment attempt.');
    if (found.status !== 'requires_action') {
      throw new ApiError('no_challenge_pending', 'This payment attempt is not waiting for a 3-D Secure answer.');
    }
    if (transaction.status !== 'pending') {
      throw new ApiError('transaction_not_pending', `The transaction is ${transaction.status}; it can no longer be paid.`);
    }
    return (await updateAttempt(trx, found.id, { status: 'pending', updated_at: platform.clock.now() }))!;
  });

  try {
    await platform.providers.payments.answerChallenge({ providerPaymentId: attempt.provider_payment_id!, reference: attempt.id, answer });
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'rejected') {
      const events = await platform.db.transaction().execute(async (trx) => {
        const transaction = (await lockTransaction(trx, { id: attempt.transaction_id }))!;
        const current = (await lockAttempt(trx, attempt.id))!;
        if (current.status !== 'pending') return [];
        return (await applyOutcome(platform, trx, { transaction, attempt: current, outcome: 'failed', reason: 'processing_error' })).events;
      });
      announceStatusChanges(platform, events);
    } else {
      await updateAttempt(platform.db, attempt.id, { status: 'requires_action', updated_at: platform.clock.now() }, { status: 'pending' });
    }
    throw error;
  }
  return getPaymentState(platform, { partnerId, merchantTransactionId });
}
