import { describe, expect, it } from 'vitest';
import { countsAsAttempt, decideOutcome, type OutcomeDecision } from './payment-attempt-machine.ts';
import { PAYMENT_ATTEMPT_STATUSES, PAYMENT_OUTCOMES, type PaymentAttemptStatus, type PaymentOutcome } from './payment-vocabulary.ts';

const skip = (why: 'duplicate' | 'superseded'): OutcomeDecision => ({ apply: false, why });
const to = (next: PaymentAttemptStatus, effect: 'capture' | 'end_unpaid' | 'refund' | 'none'): OutcomeDecision => ({
  apply: true,
  next,
  effect,
});

/** Every (status, outcome) pair, written out: a change to the machine must change this table. */
const EXPECTED: Record<PaymentAttemptStatus, Record<PaymentOutcome, OutcomeDecision>> = {
  authorizing: {
    captured: to('captured', 'capture'),
    declined: to('declined', 'end_unpaid'),
    failed: to('failed', 'end_unpaid'),
    refunded: to('refunded', 'end_unpaid'),
  },
  requires_action: {
    captured: to('captured', 'capture'),
    declined: to('declined', 'end_unpaid'),
    failed: to('failed', 'end_unpaid'),
    refunded: to('refunded', 'end_unpaid'),
  },
  pending: {
    captured: to('captured', 'capture'),
    declined: to('declined', 'end_unpaid'),
    failed: to('failed', 'end_unpaid'),
    refunded: to('refunded', 'end_unpaid'),
  },
  errored: {
    captured: to('captured', 'capture'),
    declined: to('declined', 'end_unpaid'),
    failed: to('failed', 'end_unpaid'),
    refunded: to('refunded', 'end_unpaid'),
  },
  captured: {
    captured: skip('duplicate'),
    declined: skip('superseded'),
    failed: skip('superseded'),
    refunded: to('refunded', 'refund'),
  },
  declined: {
    captured: to('captured', 'capture'),
    declined: skip('duplicate'),
    failed: skip('superseded'),
    refunded: to('refunded', 'none'),
  },
  failed: {
    captured: to('captured', 'capture'),
    declined: skip('superseded'),
    failed: skip('duplicate'),
    refunded: to('refunded', 'none'),
  },
  refunded: {
    captured: skip('superseded'),
    declined: skip('superseded'),
    failed: skip('superseded'),
    refunded: skip('duplicate'),
  },
};

describe('payment attempt machine', () => {
  for (const status of PAYMENT_ATTEMPT_STATUSES) {
    for (const outcome of PAYMENT_OUTCOMES) {
      it(`${status} + ${outcome}`, () => {
        expect(decideOutcome(status, outcome)).toEqual(EXPECTED[status][outcome]);
      });
    }
  }

  it('applying an outcome twice changes nothing the second time, whatever the status before', () => {
    for (const status of PAYMENT_ATTEMPT_STATUSES) {
      for (const outcome of PAYMENT_OUTCOMES) {
        const first = decideOutcome(status, outcome);
        if (!first.apply) continue;
        expect(decideOutcome(first.next, outcome), `${status} + ${outcome} twice`).toEqual(skip('duplicate'));
      }
    }
  });

  it('once refunded, no order of later events takes the money again', () => {
    for (const outcome of PAYMENT_OUTCOMES) expect(decideOutcome('refunded', outcome).apply).toBe(false);
    // Refund first, capture second (callbacks overtaking each other): the capture is ignored.
    const refunded = decideOutcome('pending', 'refunded');
    expect(refunded).toEqual(to('refunded', 'end_unpaid'));
    expect(decideOutcome('refunded', 'captured')).toEqual(skip('superseded'));
  });

  it('only an unreachable provider’s attempt is free', () => {
    expect(PAYMENT_ATTEMPT_STATUSES.filter((status) => !countsAsAttempt(status))).toEqual(['errored']);
  });
});
