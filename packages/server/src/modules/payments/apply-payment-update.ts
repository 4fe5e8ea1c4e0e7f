import type { Kysely, Updateable } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { Platform } from '../../platform.ts';
import type { InboundEvent } from '../callbacks/inbound-event.ts';
import type { TransactionEvent } from '../delivery/event-bus.ts';
import { createTransferIntent } from '../settlement/settlement-service.ts';
import { announceStatusChanges, changeStatusWithin } from '../transactions/change-status.ts';
import { lockTransaction, type TransactionRow } from '../transactions/transaction-store.ts';
import { countsAsAttempt, decideOutcome } from './payment-attempt-machine.ts';
import {
  findAttempt,
  findAttemptByProviderId,
  listAttempts,
  lockAttempt,
  type PaymentAttemptRow,
  updateAttempt,
} from './payment-attempt-store.ts';
import { PAYMENT_UPDATE, type PaymentUpdateEvent } from './payment-provider.ts';
import {
  IN_FLIGHT_STATUSES,
  isDeclineReason,
  isPaymentOutcome,
  type PaymentAttemptStatus,
  type PaymentOutcome,
} from './payment-vocabulary.ts';
import { requestRefundIfDue } from './refund-payment.ts';
import type { PaymentAttemptsTable } from './tables.ts';

/** No attempt matches the event (yet): the callbacks worker retries it, so a callback that overtook our own bookkeeping is applied later. */
export class UnknownPaymentError extends Error {
  constructor(providerPaymentId: string) {
    super(`no payment attempt for provider payment ${providerPaymentId}`);
    this.name = 'UnknownPaymentError';
  }
}

export interface PaymentUpdateResult {
  attemptId: string;
  /** False when the event changed nothing (a duplicate, or an outcome a later one superseded). */
  applied: boolean;
  status: PaymentAttemptStatus;
}

/**
 * Applies one `payment.update` event (the handler the callbacks worker calls; tests call it
 * directly). Idempotent and safe in any order or concurrency: the transaction row and then the
 * attempt are locked, the attempt machine decides from the attempt's current status, and the
 * attempt, the transaction's status, its history and its webhook change in one database
 * transaction, so a duplicate or a late event finds the work done and changes nothing.
 *
 * A capture the transaction can no longer use (another attempt paid it, or it failed or was
 * cancelled meanwhile) is refunded: the decision is committed with the capture, and the provider
 * is asked after the commit (if that fails, this throws and the worker's retry asks again).
 *
 * @throws UnknownPaymentError when no attempt has the event's payment id or reference (retry later).
 */
export async function applyPaymentUpdate(platform: Platform, event: InboundEvent | PaymentUpdateEvent): Promise<PaymentUpdateResult> {
  const update = readPaymentUpdate(event);
  const provider = platform.providers.payments.name;
  const { result, events } = await platform.db.transaction().execute(async (trx) => {
    const byId = await findAttemptByProviderId(trx, provider, update.providerPaymentId);
    const found = byId ?? (update.reference ? await findAttempt(trx, update.reference) : undefined);
    if (!found || found.provider !== provider) throw new UnknownPaymentError(update.providerPaymentId);
    if (found.provider_payment_id !== null && found.provider_payment_id !== update.providerPaymentId) {
      // Signed by the provider, yet about another payment than the attempt it names: never guess.
      platform.logger.error(
        { attemptId: found.id, eventId: update.eventId, provider },
        'payment callback names an attempt that has another provider payment id; ignored',
      );
      return { result: { attemptId: found.id, applied: false, status: found.status }, events: [] };
    }
    const transaction = (await lockTransaction(trx, { id: found.transaction_id }))!;
    const attempt = (await lockAttempt(trx, found.id))!;
    return applyOutcome(platform, trx, {
      transaction,
      attempt,
      outcome: update.outcome,
      reason: update.reason,
      providerPaymentId: update.providerPaymentId,
      eventId: update.eventId,
    });
  });
  announceStatusChanges(platform, events);
  // A capture that paid the buy queued its crypto transfer in the transaction that just committed.
  if (events.some((event) => event.message.status === 'processing')) platform.transferNotifier.notify();
  await requestRefundIfDue(platform, result.attemptId);
  return result;
}

/**
 * Applies an outcome to a locked attempt of a locked transaction, inside the caller's database
 * transaction; the caller announces the returned status changes once it commits.
 */
export async function applyOutcome(
  platform: Platform,
  trx: Kysely<Tables>,
  input: {
    transaction: TransactionRow;
    attempt: PaymentAttemptRow;
    outcome: PaymentOutcome;
    reason?: string | undefined;
    providerPaymentId?: string | undefined;
    eventId?: string | undefined;
  },
): Promise<{ result: PaymentUpdateResult; events: TransactionEvent[] }> {
  const { transaction, attempt, outcome } = input;
  const now = platform.clock.now();
  const decision = decideOutcome(attempt.status, outcome);
  const log = { attemptId: attempt.id, transactionId: transaction.id, outcome, eventId: input.eventId };
  const set: Updateable<PaymentAttemptsTable> = { updated_at: now };
  if (attempt.provider_payment_id === null && input.providerPaymentId) set.provider_payment_id = input.providerPaymentId;

  if (!decision.apply) {
    platform.logger.debug({ ...log, status: attempt.status, why: decision.why }, 'payment update changes nothing');
    const updated = set.provider_payment_id ? await updateAttempt(trx, attempt.id, set) : attempt;
    return { result: { attemptId: attempt.id, applied: false, status: updated!.status }, events: [] };
  }

  set.status = decision.next;
  if (attempt.challenge) set.challenge = null;
  if (decision.next === 'declined' || decision.next === 'failed') {
    set.decline_reason = isDeclineReason(input.reason) ? input.reason : decision.next === 'declined' ? 'card_declined' : 'processing_error';
  }
  if (decision.next === 'refunded') {
    set.refunded_at = now;
    set.refund_reason = attempt.refund_reason ?? input.reason ?? 'provider_refund';
  }

  const events: TransactionEvent[] = [];
  const payable = transaction.type === 'buy' && transaction.status === 'pending';
  // Money is only good for the quote it was taken at: a capture of another amount never pays.
  const atQuote =
    transaction.quote_fiat_minor !== null &&
    BigInt(attempt.amount_minor) === BigInt(transaction.quote_fiat_minor) &&
    attempt.fiat_currency === transaction.fiat_currency;
  switch (decision.effect) {
    case 'capture':
      if (payable && atQuote) {
        set.pays_transaction = true;
        await updateAttempt(trx, attempt.id, set);
        events.push(
          await changeStatusWithin(platform, trx, {
            partnerId: transaction.partner_id,
            merchantTransactionId: transaction.merchant_transaction_id,
            to: 'processing',
            reason: 'payment_captured',
            paymentMethod: attempt.method,
          }),
        );
        // Paid: the crypto transfer is queued in this same database transaction (settlement sends it).
        await createTransferIntent(platform, trx, (await lockTransaction(trx, { id: transaction.id }))!);
      } else {
        // Money taken for a transaction that cannot use it: give it back.
        set.refund_reason = !payable
          ? transaction.status === 'processing' || transaction.status === 'completed'
            ? 'duplicate_payment'
            : 'transaction_closed'
          : 'quote_changed';
        await updateAttempt(trx, attempt.id, set);
        platform.logger.warn(
          { ...log, transactionStatus: transaction.status },
          'a payment was captured for a transaction that cannot use it; refunding it',
        );
      }
      break;
    case 'end_unpaid': {
      await updateAttempt(trx, attempt.id, set);
      if (payable) {
        const attempts = await listAttempts(trx, transaction.id);
        const used = attempts.filter((candidate) => countsAsAttempt(candidate.status)).length;
        const waiting = attempts.some((candidate) => (IN_FLIGHT_STATUSES as readonly string[]).includes(candidate.status));
        if (used >= platform.config.paymentMaxAttempts && !waiting) {
          events.push(
            await changeStatusWithin(platform, trx, {
              partnerId: transaction.partner_id,
              merchantTransactionId: transaction.merchant_transaction_id,
              to: 'failed',
              reason: 'payment_declined',
            }),
          );
        }
      }
      break;
    }
    case 'refund':
      await updateAttempt(trx, attempt.id, set);
      if (!attempt.refund_reason) {
        platform.logger.warn(
          { ...log, transactionStatus: transaction.status },
          'the provider refunded a captured payment nobody here asked to refund',
        );
      }
      break;
    case 'none':
      await updateAttempt(trx, attempt.id, set);
      break;
  }
  return { result: { attemptId: attempt.id, applied: true, status: decision.next }, events };
}

/** The canonical fields of a stored `payment.update` event; anything else is a fault of the adapter that made it. */
function readPaymentUpdate(event: InboundEvent | PaymentUpdateEvent): PaymentUpdateEvent {
  const { kind, eventId, providerPaymentId, outcome, reason, reference } = event as Partial<PaymentUpdateEvent>;
  if (kind !== PAYMENT_UPDATE) throw new Error(`not a ${PAYMENT_UPDATE} event: ${String(kind)}`);
  if (typeof eventId !== 'string' || typeof providerPaymentId !== 'string' || providerPaymentId === '' || !isPaymentOutcome(outcome)) {
    throw new Error('a payment.update event needs eventId, providerPaymentId and an outcome (captured, declined, failed, refunded)');
  }
  return {
    kind,
    eventId,
    providerPaymentId,
    outcome,
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(typeof reference === 'string' && reference !== '' ? { reference } : {}),
  };
}
