import { ApiError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { Platform } from '../../platform.ts';
import type { TransactionEvent } from '../delivery/event-bus.ts';
import { announceStatusChanges } from '../transactions/change-status.ts';
import { lockTransaction } from '../transactions/transaction-store.ts';
import { applyOutcome } from './apply-payment-update.ts';
import { countsAsAttempt } from './payment-attempt-machine.ts';
import { insertAttempt, listAttempts, lockAttempt, updateAttempt } from './payment-attempt-store.ts';
import type { AuthorizeAnswer } from './payment-provider.ts';
import { checkPaymentSource, describeCard, type PaymentSourceInput } from './payment-source.ts';
import { getPaymentState, type PaymentState } from './payment-state.ts';
import { IN_FLIGHT_STATUSES, isDeclineReason } from './payment-vocabulary.ts';

export interface StartPaymentRequest {
  partnerId: string;
  merchantTransactionId: string;
  /** Checked here (checkPaymentSource) whatever checked it before. */
  source: PaymentSourceInput;
  /** Where a provider that challenges by redirect sends the user back to. */
  returnUrl?: string;
}

/**
 * Starts a payment attempt on a pending buy for the locked quote's fiat amount. Three steps, so no
 * database lock is held while the provider is asked:
 *
 * 1. With the transaction row locked: it must be a pending buy whose session has not expired, with
 *    a current quote (409 quote_required), no attempt in flight (409 payment_in_progress) and an
 *    attempt left (409 payment_attempts_exhausted); the attempt is created as `authorizing` for
 *    the quote's fiat amount, which also claims the one in-flight place.
 * 2. The provider is asked, with the attempt id as reference and idempotency key. When it fails
 *    (ProviderError: unreachable, a malformed answer, a refusal), the attempt becomes `errored`,
 *    which does not count against PAYMENT_MAX_ATTEMPTS and frees the place, and the error is
 *    thrown on (the HTTP layer answers the documented 502; the user may simply try again).
 * 3. Its answer is recorded: `pending` (the outcome comes by callback), `requires_action` with the
 *    challenge, or `declined` at once (which may fail the transaction when it was the last attempt).
 *    A callback that overtook this step has already moved the attempt; then only the provider's
 *    payment id is filled in.
 *
 * @returns where paying stands now (getPaymentState).
 */
export async function startPayment(platform: Platform, request: StartPaymentRequest): Promise<PaymentState> {
  const { partnerId, merchantTransactionId } = request;
  const now = platform.clock.now();
  const source = checkPaymentSource(request.source, now);
  const provider = platform.providers.payments;
  const card = source.method === 'card' ? describeCard(source.card.number) : null;

  const attempt = await platform.db.transaction().execute(async (trx) => {
    const transaction = await lockTransaction(trx, { partnerId, merchantTransactionId });
    if (!transaction) throw new ApiError('not_found', 'No such transaction.');
    if (transaction.type !== 'buy')
      throw new ApiError('not_a_buy', 'A sell is paid with crypto sent to its deposit address, not by card or wallet.');
    if (transaction.status !== 'pending') {
      throw new ApiError('transaction_not_pending', `The transaction is ${transaction.status}; it can no longer be paid.`);
    }
    if (now >= new Date(transaction.init_token_expires_at)) {
      throw new ApiError('session_already_used', 'The session has expired; the partner must create a new one.');
    }
    const amount = transaction.quote_fiat_minor;
    if (amount === null || BigInt(amount) <= 0n) throw new ApiError('quote_required', 'No amount has been picked yet; lock a quote first.');
    if (transaction.quote_expires_at !== null && now >= new Date(transaction.quote_expires_at)) {
      throw new ApiError('quote_required', 'The quote has expired; refresh it, then pay at the new quote.');
    }
    const attempts = await listAttempts(trx, transaction.id);
    if (attempts.some((existing) => (IN_FLIGHT_STATUSES as readonly string[]).includes(existing.status))) {
      throw new ApiError(
        'payment_in_progress',
        'A payment attempt is already waiting for its 3-D Secure answer or its outcome; answer it or wait for it before trying again.',
      );
    }
    const used = attempts.filter((existing) => countsAsAttempt(existing.status)).length;
    if (used >= platform.config.paymentMaxAttempts) {
      throw new ApiError('payment_attempts_exhausted', `All ${platform.config.paymentMaxAttempts} payment attempts have been used.`);
    }
    return insertAttempt(trx, {
      id: newId('pay'),
      transaction_id: transaction.id,
      partner_id: transaction.partner_id,
      number: attempts.length + 1,
      provider: provider.name,
      provider_payment_id: null,
      method: source.method,
      card_brand: card?.brand ?? null,
      card_last4: card?.last4 ?? null,
      amount_minor: amount,
      fiat_currency: transaction.fiat_currency,
      status: 'authorizing',
      decline_reason: null,
      challenge: null,
      error_kind: null,
      pays_transaction: false,
      refund_reason: null,
      provider_refund_id: null,
      refund_requested_at: null,
      refunded_at: null,
      created_at: now,
      updated_at: now,
    });
  });

  let answer: AuthorizeAnswer;
  try {
    answer = checkAuthorizeAnswer(
      provider.name,
      await provider.authorize({
        reference: attempt.id,
        amountMinor: BigInt(attempt.amount_minor),
        currency: attempt.fiat_currency,
        source,
        ...(request.returnUrl ? { returnUrl: request.returnUrl } : {}),
      }),
    );
  } catch (error) {
    const kind = error instanceof ProviderError ? error.kind : 'unexpected';
    await updateAttempt(
      platform.db,
      attempt.id,
      { status: 'errored', error_kind: kind, updated_at: platform.clock.now() },
      { status: 'authorizing' },
    );
    throw error;
  }

  const events = await platform.db.transaction().execute(async (trx): Promise<TransactionEvent[]> => {
    const transaction = (await lockTransaction(trx, { id: attempt.transaction_id }))!;
    const current = (await lockAttempt(trx, attempt.id))!;
    if (current.status !== 'authorizing') {
      // A callback got here first (it found the attempt by its reference) and decided it.
      if (current.provider_payment_id === null) await updateAttempt(trx, current.id, { provider_payment_id: answer.providerPaymentId });
      return [];
    }
    if (answer.status === 'declined') {
      const declined = await applyOutcome(platform, trx, {
        transaction,
        attempt: current,
        outcome: 'declined',
        reason: answer.reason,
        providerPaymentId: answer.providerPaymentId,
      });
      return declined.events;
    }
    await updateAttempt(trx, current.id, {
      status: answer.status,
      provider_payment_id: answer.providerPaymentId,
      challenge: answer.status === 'requires_action' ? JSON.stringify(answer.challenge) : null,
      updated_at: platform.clock.now(),
    });
    return [];
  });
  announceStatusChanges(platform, events);
  return getPaymentState(platform, { partnerId, merchantTransactionId });
}

/** What an adapter answered, checked at the seam like a market quote: a malformed answer is the provider's fault (502), never used. */
function checkAuthorizeAnswer(provider: string, answer: AuthorizeAnswer): AuthorizeAnswer {
  const malformed = (what: string) => new ProviderError({ provider, kind: 'invalid_response', message: `authorize answered ${what}` });
  const id = answer?.providerPaymentId;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw malformed('without a usable payment id');
  switch (answer.status) {
    case 'pending':
      return { status: 'pending', providerPaymentId: id };
    case 'requires_action': {
      const prompt = answer.challenge?.prompt;
      if (answer.challenge?.kind !== 'three_ds' || typeof prompt !== 'string' || prompt.length === 0 || prompt.length > 500) {
        throw malformed('requires_action without a usable challenge');
      }
      return { status: 'requires_action', providerPaymentId: id, challenge: { kind: 'three_ds', prompt } };
    }
    case 'declined':
      return { status: 'declined', providerPaymentId: id, reason: isDeclineReason(answer.reason) ? answer.reason : 'card_declined' };
    default:
      throw malformed(`an unknown status`);
  }
}
