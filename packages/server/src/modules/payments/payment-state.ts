import { type Static, Type } from 'typebox';
import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { findTransaction, type TransactionRow } from '../transactions/transaction-store.ts';
import { countsAsAttempt } from './payment-attempt-machine.ts';
import { listAttempts, type PaymentAttemptRow } from './payment-attempt-store.ts';
import { CARD_BRANDS } from './payment-source.ts';
import { DECLINE_REASONS, IN_FLIGHT_STATUSES, PAYMENT_METHODS } from './payment-vocabulary.ts';

/** What the widget shows of an attempt; `authorizing` (a few seconds inside startPayment) shows as `pending`. */
const SHOWN_STATUSES = ['pending', 'requires_action', 'captured', 'declined', 'failed', 'refunded'] as const;

/** Where paying a transaction stands, as the widget shows it (the embed API's response schema). */
export const PaymentStateSchema = Type.Object({
  attempts_used: Type.Integer({ minimum: 0, description: 'Attempts that reached the provider (an unreachable provider costs none).' }),
  attempts_left: Type.Integer({ minimum: 0 }),
  max_attempts: Type.Integer({ minimum: 1, description: 'PAYMENT_MAX_ATTEMPTS.' }),
  can_start: Type.Boolean({
    description: 'Whether a new attempt may start now: the buy is pending with a current quote, none is in flight, and one is left.',
  }),
  current: Type.Union([
    Type.Null(),
    Type.Object({
      attempt_id: Type.String(),
      status: Type.Enum(SHOWN_STATUSES),
      method: Type.Enum(PAYMENT_METHODS),
      card: Type.Optional(Type.Object({ brand: Type.Enum(CARD_BRANDS), last4: Type.String({ pattern: '^[0-9]{4}$' }) })),
      decline_reason: Type.Optional(Type.Enum(DECLINE_REASONS, { description: 'Why it was declined or failed.' })),
      challenge: Type.Optional(
        Type.Object({ kind: Type.Literal('three_ds'), prompt: Type.String() }, { description: 'Shown while status is requires_action.' }),
      ),
    }),
  ]),
});
export type PaymentState = Static<typeof PaymentStateSchema>;
export type PaymentAttemptView = NonNullable<PaymentState['current']>;

/** Where paying this buy stands: the latest attempt that reached the provider, and how many are left. */
export async function getPaymentState(
  platform: Platform,
  { partnerId, merchantTransactionId }: { partnerId: string; merchantTransactionId: string },
): Promise<PaymentState> {
  const transaction = await findTransaction(platform.db, partnerId, merchantTransactionId);
  if (!transaction) throw new ApiError('not_found', 'No such transaction.');
  const attempts = await listAttempts(platform.db, transaction.id);
  return toPaymentState(transaction, attempts, platform.config.paymentMaxAttempts, platform.clock.now());
}

export function toPaymentState(
  transaction: Pick<TransactionRow, 'type' | 'status' | 'init_token_expires_at' | 'quote_fiat_minor' | 'quote_expires_at'>,
  attempts: readonly PaymentAttemptRow[],
  maxAttempts: number,
  now: Date,
): PaymentState {
  const counted = attempts.filter((attempt) => countsAsAttempt(attempt.status));
  const used = counted.length;
  const left = Math.max(0, maxAttempts - used);
  const inFlight = attempts.some((attempt) => (IN_FLIGHT_STATUSES as readonly string[]).includes(attempt.status));
  const quoted =
    transaction.quote_fiat_minor !== null && (transaction.quote_expires_at === null || now < new Date(transaction.quote_expires_at));
  const open =
    transaction.type === 'buy' && transaction.status === 'pending' && now < new Date(transaction.init_token_expires_at) && quoted;
  const latest = counted.at(-1);
  return {
    attempts_used: used,
    attempts_left: left,
    max_attempts: maxAttempts,
    can_start: open && !inFlight && left > 0,
    current: latest ? toAttemptView(latest) : null,
  };
}

function toAttemptView(attempt: PaymentAttemptRow): PaymentAttemptView {
  const view: PaymentAttemptView = {
    attempt_id: attempt.id,
    status: attempt.status === 'authorizing' || attempt.status === 'errored' ? 'pending' : attempt.status,
    method: attempt.method,
  };
  if (attempt.card_brand && attempt.card_last4) view.card = { brand: attempt.card_brand, last4: attempt.card_last4 };
  if ((attempt.status === 'declined' || attempt.status === 'failed') && attempt.decline_reason) {
    view.decline_reason = attempt.decline_reason as PaymentAttemptView['decline_reason'];
  }
  if (attempt.status === 'requires_action' && attempt.challenge) view.challenge = attempt.challenge;
  return view;
}
