/**
 * The payments module's closed vocabularies, one array each: the TypeScript types, the SQL CHECK
 * constraints and the API schemas read these, so a new value is added in one place (plus a migration
 * that widens the CHECK on existing databases).
 */

/** How the user pays; recorded on the attempt and, once captured, on the transaction (`payment_method`). */
export const PAYMENT_METHODS = ['card', 'apple_pay', 'google_pay'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/**
 * Where one payment attempt stands (the machine is in payment-attempt-machine.ts):
 * - `authorizing`: created, the provider is being asked (a few seconds at most);
 * - `requires_action`: the provider wants a 3-D Secure challenge answered;
 * - `pending`: authorised (or the challenge answered), the outcome comes by callback;
 * - `captured`: the money is taken; `declined` / `failed`: no money moved, the user may retry;
 * - `refunded`: the money was given back;
 * - `errored`: the provider could not be reached; it does not count as an attempt.
 */
export const PAYMENT_ATTEMPT_STATUSES = [
  'authorizing',
  'requires_action',
  'pending',
  'captured',
  'declined',
  'failed',
  'refunded',
  'errored',
] as const;
export type PaymentAttemptStatus = (typeof PAYMENT_ATTEMPT_STATUSES)[number];

/** Attempts still waiting for the provider: at most one per transaction (a partial unique index holds it). */
export const IN_FLIGHT_STATUSES = ['authorizing', 'requires_action', 'pending'] as const satisfies readonly PaymentAttemptStatus[];

/** What a provider callback can say about a payment: the only words the domain hears from any adapter. */
export const PAYMENT_OUTCOMES = ['captured', 'declined', 'failed', 'refunded'] as const;
export type PaymentOutcome = (typeof PAYMENT_OUTCOMES)[number];

/**
 * Why a payment did not go through, as the widget shows it. Adapters map their vendor's codes onto
 * these; anything they cannot map becomes `card_declined` (declined) or `processing_error` (failed).
 */
export const DECLINE_REASONS = [
  'insufficient_funds',
  'card_declined',
  'expired_card',
  'incorrect_cvc',
  'three_ds_failed',
  'card_not_supported',
  'invalid_token',
  'processing_error',
] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

export function isDeclineReason(value: unknown): value is DeclineReason {
  return (DECLINE_REASONS as readonly unknown[]).includes(value);
}

export function isPaymentMethod(value: unknown): value is PaymentMethod {
  return (PAYMENT_METHODS as readonly unknown[]).includes(value);
}

export function isPaymentOutcome(value: unknown): value is PaymentOutcome {
  return (PAYMENT_OUTCOMES as readonly unknown[]).includes(value);
}
