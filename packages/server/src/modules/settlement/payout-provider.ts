import type { CallbackRequest, CallbackSource } from '../callbacks/inbound-event.ts';
import type { CardBrand } from '../payments/payment-source.ts';
import type { PayoutDeclineReason, PayoutOutcome } from './off-ramp-vocabulary.ts';

/**
 * Pays fiat out to the user's card (a sell's last step: "push to card"). A capability of its own,
 * apart from taking payments (PaymentProvider): a vendor may offer one without the other, and a
 * deployment may pick different vendors for each. The settlement module owns this interface; the
 * sandbox adapter lives beside it, vendors under src/providers/, and src/providers.ts picks one
 * from configuration (PAYOUT_PROVIDER).
 *
 * Asynchronous like a real push-to-card rail: `payout` answers at once (`pending`, or `declined`
 * when the vendor refuses on the spot), and the outcome arrives later as a signed callback at
 * POST /providers/{name}/callbacks, which `verifyCallback` turns into one `payout.update` event.
 *
 * Every method takes one options object. An adapter that cannot get an answer from its vendor
 * throws ProviderError (lib/provider-error.ts), never anything else; a decline is an answer.
 */
export interface PayoutProvider extends CallbackSource {
  /** A short stable id ("sandbox-payouts"): in logs, in ProviderError.provider, and the `{name}` of its callback route. */
  readonly name: string;

  /**
   * Hands the card to the vendor and returns its token for it: the platform stores the token (sealed),
   * the brand and the last four digits, never the number. No CVC: a payout needs none.
   *
   * @throws ProviderError `unavailable` (retry), `rejected` when the vendor will not take the card.
   *
   * @example
   * const card = await payouts.tokenizeCard({ card: { number: '4242424242424242', expiry_month: 12, expiry_year: 2030 } });
   * // { token: 'sbcard_S_…', brand: 'visa', last4: '4242' }
   */
  tokenizeCard(request: { card: PayoutCardDetails }): Promise<TokenizedCard>;

  /**
   * Sends `amountMinor` of `currency` to the tokenized card. `reference` is the platform's payout id
   * and the vendor's idempotency key: a repeated call (after a crash, or from two nodes) makes one
   * payout and answers the same ids again.
   *
   * @throws ProviderError `unavailable` / `invalid_response` (the caller retries later with the same
   *   reference), `rejected` when the vendor refuses the request itself.
   *
   * @example
   * const answer = await payouts.payout({ reference: 'po_7Hc…', cardToken: 'sbcard_S_…', amountMinor: 9056n, currency: 'EUR' });
   * // { status: 'pending', providerPayoutId: 'sbpo_S_…' }; later a callback: { outcome: 'paid' }
   */
  payout(request: PayoutRequest): Promise<PayoutAnswer>;

  /**
   * Checks a callback's signature over the raw bytes and its timestamp, then reduces the vendor's
   * payload to one `payout.update` event. Throws CallbackRejectedError for anything it cannot accept.
   *
   * @example
   * const event = payouts.verifyCallback({ rawBody, headers });
   * // { kind: 'payout.update', eventId: 'sbpoevt_…', providerPayoutId: 'sbpo_D_…', outcome: 'declined', reason: 'card_declined', reference: 'po_7Hc…' }
   */
  verifyCallback(request: CallbackRequest): PayoutUpdateEvent;
}

export interface PayoutCardDetails {
  /** Digits only. */
  number: string;
  expiry_month: number;
  expiry_year: number;
  holder_name?: string;
}

export interface TokenizedCard {
  /** The vendor's reference to the card: all the platform can pay it with. */
  token: string;
  brand: CardBrand;
  last4: string;
}

export interface PayoutRequest {
  /** The platform's payout id: echoed in callbacks, and the vendor's idempotency key. */
  reference: string;
  cardToken: string;
  /** The sell's quoted fiat amount, in minor units of `currency`. */
  amountMinor: bigint;
  /** ISO 4217, e.g. "EUR". */
  currency: string;
}

export type PayoutAnswer =
  | { status: 'pending'; providerPayoutId: string }
  | { status: 'declined'; providerPayoutId: string; reason: PayoutDeclineReason };

/** The one event kind of the payouts vocabulary. JSON-safe (the callback inbox stores it). */
export interface PayoutUpdateEvent {
  kind: 'payout.update';
  eventId: string;
  providerPayoutId: string;
  outcome: PayoutOutcome;
  /** Why a payout was declined (one of PAYOUT_DECLINE_REASONS). */
  reason?: PayoutDeclineReason;
  /** The platform's payout id as the vendor echoes it. */
  reference: string;
  [field: string]: unknown;
}

export const PAYOUT_UPDATE = 'payout.update';
