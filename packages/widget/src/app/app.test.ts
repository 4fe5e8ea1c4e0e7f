import { describe, expect, it } from 'vitest';
import { screenFor } from './app.tsx';
import type { EmbedState, PaymentAttempt } from './embed-state.ts';

function state(overrides: Partial<EmbedState> = {}, transaction: Partial<EmbedState['transaction']> = {}): EmbedState {
  return {
    transaction: {
      merchant_transaction_id: 'order-1',
      type: 'buy',
      status: 'pending',
      currency: 'USDT',
      network: 'TRC20',
      address: 'TAddress',
      ...transaction,
    },
    terms: {},
    quote: null,
    verification: { status: 'none', required: true, uploaded: [] },
    payment: { attempts_used: 0, attempts_left: 3, max_attempts: 3, can_start: false, current: null },
    sell: null,
    next_step: 'verification',
    ...overrides,
  };
}

const attempt = (status: PaymentAttempt['status']): PaymentAttempt => ({ attempt_id: 'a1', status, method: 'card' });

function sell(next_step: EmbedState['next_step'], seen = false, status = 'pending'): EmbedState {
  return state(
    {
      payment: null,
      next_step,
      sell: {
        deposit: {
          address: '0xdeposit',
          currency: 'USDT',
          network: 'ERC20',
          amount: '100',
          deadline: '2030-01-01T00:00:00Z',
          required_confirmations: 2,
          seen,
          confirmations: seen ? 1 : 0,
          received_amount: seen ? '100' : null,
          transfers: [],
        },
        payout: { card: null, status: null, amount: null, fiat_currency: 'EUR' },
      },
    },
    { type: 'sell', status },
  );
}

describe('screenFor', () => {
  it('shows the amount screen while the API asks for an amount, confirmed or not', () => {
    expect(screenFor(state({ next_step: 'amount' }), false)).toBe('amount');
    expect(screenFor(state({ next_step: 'amount' }), true)).toBe('amount');
  });

  it('keeps the amount screen until the user confirms it, on each step that follows it', () => {
    for (const step of ['verification', 'payment'] as const) {
      expect(screenFor(state({ next_step: step }), false)).toBe('amount');
      expect(screenFor(state({ next_step: step }), true)).toBe(step);
    }
    for (const step of ['payout_card', 'deposit'] as const) {
      expect(screenFor(sell(step), false)).toBe('amount');
      expect(screenFor(sell(step), true)).toBe(step);
    }
  });

  it('skips it when the partner fixed the amount (crypto or fiat)', () => {
    for (const terms of [{ fix_amount: true }, { fix_fiat_amount: true }, { fix_amount: 'true' }]) {
      expect(screenFor(state({ next_step: 'payment', terms }), false)).toBe('payment');
    }
    expect(screenFor(state({ next_step: 'payment', terms: { fix_amount: false, fix_fiat_amount: false } }), false)).toBe('amount');
  });

  it('skips it once a payment started or a deposit arrived: the amount can no longer change', () => {
    for (const status of ['pending', 'requires_action', 'declined', 'failed'] as const) {
      const started = state({ next_step: 'payment', payment: { ...state().payment!, current: attempt(status) } });
      expect(screenFor(started, false), status).toBe('payment');
    }
    expect(screenFor(sell('deposit', true), false)).toBe('deposit');
    // The crypto came before the card: the sell is processing and asks for the card.
    expect(screenFor(sell('payout_card', true, 'processing'), false)).toBe('payout_card');
  });

  it('never holds back a step the user cannot go back from', () => {
    expect(screenFor(state({ next_step: 'verification_pending' }), false)).toBe('verification_pending');
    expect(screenFor(state({ next_step: 'payment_challenge' }), false)).toBe('payment_challenge');
    expect(screenFor(state({ next_step: 'processing' }, { status: 'processing' }), false)).toBe('processing');
    expect(screenFor(state({ next_step: 'result' }, { status: 'completed' }), false)).toBe('result');
    expect(screenFor(state({ next_step: 'result' }, { status: 'failed' }), false)).toBe('result');
  });
});
