import type { PaymentAttemptStatus, PaymentOutcome } from './payment-vocabulary.ts';

/**
 * The payment attempt state machine, without I/O. The platform moves an attempt through the first
 * steps itself (creating it, recording what the provider answered, the challenge answer); the
 * provider's callbacks decide how it ends, in whatever order and however often they arrive.
 *
 *   authorizing ──► requires_action ──► pending ──┬──► captured ──► refunded
 *        │     (3-D Secure)     (answered)        ├──► declined | failed
 *        ├──► pending                             └──► refunded (heard before the capture)
 *        ├──► declined (the provider said no at once)
 *        └──► errored (the provider could not be reached; does not count)
 *
 * Platform steps are the arrows out of `authorizing` and `requires_action`; callbacks make every
 * other move, and may also end an attempt still in `authorizing` or `requires_action`.
 *
 * The callback rules, in words: an attempt in flight (or errored: the provider may have processed
 * it although we never heard back) takes any outcome. A capture is final except for a refund;
 * a refund is final. A capture reported after a decline is believed (money was taken: the capture
 * then pays the transaction if it still can, or is refunded). A repeat of the outcome an attempt
 * already has, or an outcome that would undo a later one, changes nothing.
 */

/**
 * What applying an outcome does beyond moving the attempt:
 * - `capture`: the money is taken; the transaction moves to processing, or, when it can no longer
 *   (another attempt paid it, it failed or was cancelled meanwhile), the capture is refunded;
 * - `end_unpaid`: the attempt ended with no money kept; the transaction fails once no attempt is left;
 * - `refund`: money taken earlier was given back; recorded on the attempt only;
 * - `none`: nothing else.
 */
export type OutcomeEffect = 'capture' | 'end_unpaid' | 'refund' | 'none';

export type OutcomeDecision =
  | { apply: true; next: PaymentAttemptStatus; effect: OutcomeEffect }
  | { apply: false; why: 'duplicate' | 'superseded' };

/** Attempts still waiting for their outcome, or never heard back from (which may yet have one). */
const OPEN: ReadonlySet<PaymentAttemptStatus> = new Set(['authorizing', 'requires_action', 'pending', 'errored']);

/** What a provider's outcome does to an attempt in `status`. */
export function decideOutcome(status: PaymentAttemptStatus, outcome: PaymentOutcome): OutcomeDecision {
  if (OPEN.has(status)) {
    switch (outcome) {
      case 'captured':
        return { apply: true, next: 'captured', effect: 'capture' };
      case 'declined':
        return { apply: true, next: 'declined', effect: 'end_unpaid' };
      case 'failed':
        return { apply: true, next: 'failed', effect: 'end_unpaid' };
      case 'refunded':
        // Refunded before we heard of the capture (callbacks out of order): the money went back,
        // so this attempt must never pay the transaction; the capture, when it comes, is ignored.
        return { apply: true, next: 'refunded', effect: 'end_unpaid' };
    }
  }
  if (status === outcome) return { apply: false, why: 'duplicate' };
  switch (status) {
    case 'captured':
      return outcome === 'refunded' ? { apply: true, next: 'refunded', effect: 'refund' } : { apply: false, why: 'superseded' };
    case 'declined':
    case 'failed':
      if (outcome === 'captured') return { apply: true, next: 'captured', effect: 'capture' };
      if (outcome === 'refunded') return { apply: true, next: 'refunded', effect: 'none' };
      return { apply: false, why: 'superseded' };
    default:
      // refunded: final.
      return { apply: false, why: 'superseded' };
  }
}

/** Whether an attempt in this status still counts against PAYMENT_MAX_ATTEMPTS (an unreachable provider's does not). */
export function countsAsAttempt(status: PaymentAttemptStatus): boolean {
  return status !== 'errored';
}
