import type { Platform } from '../../platform.ts';
import { lockTransaction } from '../transactions/transaction-store.ts';
import { findAttempt, listAttempts, lockAttempt, type PaymentAttemptRow, updateAttempt } from './payment-attempt-store.ts';

/** Where the refund of a transaction's payment stands. */
export interface RefundState {
  attempt_id: string;
  /** `requested`: the provider accepted the request, its completion comes by callback; `refunded`: done. */
  status: 'requested' | 'refunded';
  reason: string;
  provider_refund_id: string | null;
}

/** There is no captured payment to give back (the transaction was never paid, or is unknown). */
export class NoPaymentToRefundError extends Error {
  constructor(transactionId: string) {
    super(`transaction ${transactionId} has no captured payment to refund`);
    this.name = 'NoPaymentToRefundError';
  }
}

/**
 * Gives back the payment that paid a transaction (the compensation of "capture → send crypto" when
 * sending fails for good). Idempotent: the decision is recorded on the attempt first (its
 * `refund_reason`), then the provider is asked with the attempt's own idempotency key until it
 * accepts; calling again after that, or after the refund completed, asks nothing twice.
 *
 * @param transactionId the platform's transaction id (not the partner's merchant_transaction_id).
 * @throws NoPaymentToRefundError when no attempt paid the transaction; ProviderError when the
 *   provider cannot be reached (call again later: the refund stays decided).
 */
export async function refundPayment(
  platform: Platform,
  { transactionId, reason }: { transactionId: string; reason: string },
): Promise<RefundState> {
  const attempt = await platform.db.transaction().execute(async (trx) => {
    const transaction = await lockTransaction(trx, { id: transactionId });
    if (!transaction) throw new NoPaymentToRefundError(transactionId);
    const paying = (await listAttempts(trx, transaction.id)).find((candidate) => candidate.pays_transaction);
    if (!paying) throw new NoPaymentToRefundError(transactionId);
    const locked = (await lockAttempt(trx, paying.id))!;
    if (locked.status !== 'captured' || locked.refund_reason) return locked;
    return (await updateAttempt(trx, locked.id, { refund_reason: reason, updated_at: platform.clock.now() }))!;
  });
  const current = attempt.status === 'captured' && !attempt.refund_requested_at ? await requestRefund(platform, attempt) : attempt;
  return toRefundState(current);
}

/**
 * Asks the provider for a refund already decided on the attempt (`refund_reason` set) unless it has
 * accepted one before; records its acceptance. Used by refundPayment and for captures that arrive
 * when their transaction can no longer use them.
 */
export async function requestRefund(platform: Platform, attempt: PaymentAttemptRow): Promise<PaymentAttemptRow> {
  if (attempt.status !== 'captured' || !attempt.refund_reason || attempt.refund_requested_at || !attempt.provider_payment_id)
    return attempt;
  const answer = await platform.providers.payments.refund({
    providerPaymentId: attempt.provider_payment_id,
    reference: attempt.id,
    idempotencyKey: `${attempt.id}:refund`,
    amountMinor: BigInt(attempt.amount_minor),
    currency: attempt.fiat_currency,
    reason: attempt.refund_reason,
  });
  const now = platform.clock.now();
  const updated = await updateAttempt(platform.db, attempt.id, {
    provider_refund_id: answer.providerRefundId,
    refund_requested_at: now,
    updated_at: now,
  });
  platform.logger.info({ attemptId: attempt.id, reason: attempt.refund_reason }, 'payment refund requested');
  return updated ?? attempt;
}

/** Asks for the refund an attempt is due, if any (re-read first: another node may have asked already). */
export async function requestRefundIfDue(platform: Platform, attemptId: string): Promise<void> {
  const attempt = await findAttempt(platform.db, attemptId);
  if (attempt) await requestRefund(platform, attempt);
}

function toRefundState(attempt: PaymentAttemptRow): RefundState {
  return {
    attempt_id: attempt.id,
    status: attempt.status === 'refunded' ? 'refunded' : 'requested',
    reason: attempt.refund_reason ?? 'provider_refund',
    provider_refund_id: attempt.provider_refund_id,
  };
}
