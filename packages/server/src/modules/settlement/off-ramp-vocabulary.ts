/**
 * The off-ramp's closed vocabularies (a sell: the user's crypto deposit in, fiat out to a card), one
 * array each: the TypeScript types, the SQL CHECK constraints and the admin API read these, so a new
 * value is added in one place (plus a migration that widens the CHECK on existing databases).
 */

/**
 * Where one deposit stands on its chain:
 * - `unconfirmed`: mined, fewer blocks on top than the network's depth (DEPOSIT_CONFIRMATIONS);
 * - `confirmed`: deep enough to count;
 * - `reorged`: its block left the chain before it was confirmed; it counts nowhere (seen again if it is mined again).
 */
export const DEPOSIT_STATUSES = ['unconfirmed', 'confirmed', 'reorged'] as const;
export type DepositStatus = (typeof DEPOSIT_STATUSES)[number];

/**
 * What was made of a confirmed deposit (null until decided):
 * - `credited`: all of it counts toward the sell's payout;
 * - `surplus`: it paid the quote and more; `unpaid_minor` of it is the surplus, held for the operator;
 * - `refused`: the sell took less than was asked and the amount received is outside the partner's
 *   limits: nothing is paid out, the transaction failed (`deposit_underpaid`), all of it is held;
 * - `late`: it arrived after the sell stopped taking deposits (its window passed, it was cancelled,
 *   or its deposit was already settled): nothing is paid out, all of it is held.
 * Held crypto (`unpaid_minor` > 0) is listed for the operator until marked resolved.
 */
export const DEPOSIT_DISPOSITIONS = ['credited', 'surplus', 'refused', 'late'] as const;
export type DepositDisposition = (typeof DEPOSIT_DISPOSITIONS)[number];

/**
 * Where the fiat payout of a sell stands:
 * - `awaiting_card`: the deposit is confirmed but the user has not given a payout card yet;
 * - `queued`: ready to send (or to send again after the provider could not be reached);
 * - `pending`: the provider took it; its outcome comes by callback;
 * - `paid`: the money reached the card: the sell completed with `fiat_paid` (final);
 * - `declined`: the provider refused it: the sell failed with `payout_failed` (final).
 */
export const PAYOUT_STATUSES = ['awaiting_card', 'queued', 'pending', 'paid', 'declined'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

/** What a payout provider's callback can say: the only words the domain hears from any payout adapter. */
export const PAYOUT_OUTCOMES = ['paid', 'declined'] as const;
export type PayoutOutcome = (typeof PAYOUT_OUTCOMES)[number];

/** Why a payout was declined, as the widget shows it; anything an adapter cannot map is `card_declined`. */
export const PAYOUT_DECLINE_REASONS = ['card_declined', 'card_not_supported', 'limit_exceeded', 'invalid_card'] as const;
export type PayoutDeclineReason = (typeof PAYOUT_DECLINE_REASONS)[number];

export function isPayoutOutcome(value: unknown): value is PayoutOutcome {
  return (PAYOUT_OUTCOMES as readonly unknown[]).includes(value);
}

export function isPayoutDeclineReason(value: unknown): value is PayoutDeclineReason {
  return (PAYOUT_DECLINE_REASONS as readonly unknown[]).includes(value);
}
