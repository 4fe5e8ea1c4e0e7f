import type { CallbackRequest, CallbackSource } from '../callbacks/inbound-event.ts';
import type { PaymentSource } from './payment-source.ts';
import type { DeclineReason, PaymentMethod, PaymentOutcome } from './payment-vocabulary.ts';

/**
 * Takes the user's fiat: authorises and captures a card (with 3-D Secure), an Apple Pay or a Google
 * Pay token, and refunds. The payments module owns this interface; adapters implement it (the
 * sandbox beside it, vendors under src/providers/), and src/providers.ts picks one from
 * configuration.
 *
 * Like a real acquirer it is asynchronous: `authorize` and `answerChallenge` answer at once with
 * where the payment stands (`pending`, or `requires_action` for a 3-D Secure challenge), and the
 * outcome (captured, declined, failed, refunded) arrives later as a signed callback at
 * POST /providers/{name}/callbacks, which `verifyCallback` turns into one `payment.update` event.
 *
 * Every method takes one options object. An adapter that cannot get an answer from its vendor
 * throws ProviderError (lib/provider-error.ts), never anything else; a clear "no" about the payment
 * itself (a decline) is an answer, not an error.
 */
export interface PaymentProvider extends CallbackSource {
  /** A short stable id ("sandbox-payments"): in logs, in ProviderError.provider, and the `{name}` of its callback route. */
  readonly name: string;

  /**
   * Authorises the amount on the source and captures it as soon as it is authorised (one step: the
   * platform sends crypto only for captured money). Called once per attempt; `reference` is the
   * platform's attempt id and the vendor's idempotency key, so a retried call never charges twice.
   *
   * @returns `pending` (the outcome follows by callback), `requires_action` with the challenge to
   *   show the user, or `declined` when the vendor refuses at once (no callback needed for it).
   * @throws ProviderError `unavailable` when the vendor cannot be reached or answers too late (the
   *   caller answers 502 and lets the user try again), `invalid_response` when its answer is
   *   malformed, `rejected` when it refuses the request itself (e.g. a currency it does not take).
   *
   * @example
   * const answer = await payments.authorize({
   *   reference: 'pay_4fQ2…', amountMinor: 9480n, currency: 'EUR',
   *   source: { method: 'card', card: { number: '4000000000003220', expiry_month: 12, expiry_year: 2030, cvc: '123' } },
   * });
   * // { status: 'requires_action', providerPaymentId: 'sbpay_…', challenge: { kind: 'three_ds', prompt: 'Enter the code …' } }
   */
  authorize(request: AuthorizeRequest): Promise<AuthorizeAnswer>;

  /**
   * Passes the user's answer to a 3-D Secure challenge on. Whether it was right arrives by callback
   * (captured, or failed with `three_ds_failed`).
   *
   * @throws ProviderError `unavailable` as for authorize; `rejected` when the payment is not
   *   waiting for a challenge.
   *
   * @example
   * await payments.answerChallenge({ providerPaymentId: 'sbpay_…', reference: 'pay_4fQ2…', answer: '123456' });
   * // { status: 'pending' }; later a callback: { outcome: 'captured' }
   */
  answerChallenge(request: ChallengeAnswerRequest): Promise<{ status: 'pending' }>;

  /**
   * Gives a captured payment back in full. `idempotencyKey` makes a repeated call (after a crash, or
   * by two workers) one refund. The refund's completion arrives by callback (`refunded`).
   *
   * @throws ProviderError `unavailable` / `invalid_response` (retry later with the same key),
   *   `rejected` when the vendor cannot refund this payment (e.g. it was never captured).
   *
   * @example
   * const refund = await payments.refund({
   *   providerPaymentId: 'sbpay_…', reference: 'pay_4fQ2…', idempotencyKey: 'pay_4fQ2…:refund',
   *   amountMinor: 9480n, currency: 'EUR', reason: 'delivery_failed',
   * });
   * // { providerRefundId: 'sbref_…', status: 'pending' }; later a callback: { outcome: 'refunded' }
   */
  refund(request: RefundRequest): Promise<RefundAnswer>;

  /**
   * Checks a callback's signature over the raw bytes (in constant time) and its timestamp, then
   * reduces the vendor's payload to one `payment.update` event. Throws CallbackRejectedError
   * (callbacks/inbound-event.ts) for anything it cannot accept.
   *
   * @example
   * const event = payments.verifyCallback({ rawBody, headers });
   * // { kind: 'payment.update', eventId: 'sbevt_…', providerPaymentId: 'sbpay_…', outcome: 'declined',
   * //   reason: 'insufficient_funds', paymentMethod: 'card', reference: 'pay_4fQ2…' }
   */
  verifyCallback(request: CallbackRequest): PaymentUpdateEvent;
}

export interface AuthorizeRequest {
  /** The platform's attempt id: echoed in callbacks, and the vendor's idempotency key. */
  reference: string;
  /** The locked quote's fiat amount, in minor units of `currency`. */
  amountMinor: bigint;
  /** ISO 4217, e.g. "EUR". */
  currency: string;
  source: PaymentSource;
  /** Where a vendor that challenges by redirect sends the user back to. */
  returnUrl?: string;
}

export interface ThreeDsChallenge {
  kind: 'three_ds';
  /** What the widget shows above the answer field. */
  prompt: string;
}

export type AuthorizeAnswer =
  | { status: 'pending'; providerPaymentId: string }
  | { status: 'requires_action'; providerPaymentId: string; challenge: ThreeDsChallenge }
  | { status: 'declined'; providerPaymentId: string; reason: DeclineReason };

export interface ChallengeAnswerRequest {
  providerPaymentId: string;
  reference: string;
  /** What the user typed; passed on as is, never logged. */
  answer: string;
}

export interface RefundRequest {
  providerPaymentId: string;
  reference: string;
  idempotencyKey: string;
  amountMinor: bigint;
  currency: string;
  /** Why, for the vendor's records (e.g. delivery_failed). */
  reason: string;
}

export interface RefundAnswer {
  providerRefundId: string;
  status: 'pending';
}

/**
 * The one event kind of the payments vocabulary: what any payment adapter's callback becomes. The
 * domain reads nothing else of the vendor's payload. JSON-safe (it is stored by the callback inbox).
 */
export interface PaymentUpdateEvent {
  kind: 'payment.update';
  /** The vendor's id of this event: a second delivery of the same id is stored once and applied once. */
  eventId: string;
  providerPaymentId: string;
  outcome: PaymentOutcome;
  /** Why a payment was declined or failed (one of DECLINE_REASONS), or why a refund happened. */
  reason?: string;
  paymentMethod?: PaymentMethod;
  /** The platform's attempt id as the vendor echoes it; finds the attempt when its provider id is not recorded yet. */
  reference?: string;
  [field: string]: unknown;
}

export const PAYMENT_UPDATE = 'payment.update';
