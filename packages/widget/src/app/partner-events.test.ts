import { describe, expect, it } from 'vitest';
import type { EmbedState, PaymentAttempt, SellState } from './embed-state.ts';
import { eventsFor, statusChange, type Told, widgetStatus } from './partner-events.ts';

const quote = {
  crypto_amount: '100',
  fiat_amount: '92.50',
  fiat_currency: 'EUR',
  rate: '0.92',
  partner_fee: '1.88',
  network_fee: '1',
  expires_at: null,
  expired: false,
};

function buy(overrides: Partial<EmbedState> = {}, transaction: Partial<EmbedState['transaction']> = {}): EmbedState {
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
    quote,
    verification: { status: 'verified', required: false, uploaded: [] },
    payment: { attempts_used: 0, attempts_left: 3, max_attempts: 3, can_start: true, current: null },
    sell: null,
    next_step: 'payment',
    ...overrides,
  };
}

const attempt = (status: PaymentAttempt['status'], attempt_id = 'a1'): PaymentAttempt => ({ attempt_id, status, method: 'card' });

function withAttempt(state: EmbedState, current: PaymentAttempt | null): EmbedState {
  return { ...state, payment: { ...state.payment!, current } };
}

function sellDeposit(deposit: Partial<SellState['deposit']> = {}): SellState {
  return {
    deposit: {
      address: '0xdeposit',
      currency: 'USDT',
      network: 'ERC20',
      amount: '100',
      deadline: '2030-01-01T00:00:00Z',
      required_confirmations: 2,
      seen: false,
      confirmations: 0,
      received_amount: null,
      transfers: [],
      ...deposit,
    },
    payout: { card: { brand: 'visa', last4: '4242' }, status: null, amount: null, fiat_currency: 'EUR' },
  };
}

function sell(
  next_step: EmbedState['next_step'],
  deposit: Partial<SellState['deposit']> = {},
  transaction: Partial<EmbedState['transaction']> = {},
): EmbedState {
  return buy({ payment: null, sell: sellDeposit(deposit), next_step }, { type: 'sell', network: 'ERC20', ...transaction });
}

describe('widgetStatus', () => {
  it.each([
    ['completed', undefined, 'completed'],
    ['cancelled', undefined, 'cancelled'],
    ['expired', undefined, 'cancelled'],
    ['failed', 'session_expired', 'cancelled'],
    ['failed', 'deposit_expired', 'cancelled'],
    ['failed', 'payment_declined', 'order_failed'],
    ['failed', 'kyc_rejected', 'order_failed'],
    ['failed', undefined, 'order_failed'],
    ['processing', undefined, 'paid'],
  ])('a buy %s (%s) is %s', (status, failure_reason, expected) => {
    expect(widgetStatus(buy({}, { status, ...(failure_reason ? { failure_reason } : {}) }))).toBe(expected);
  });

  it.each([
    [null, 'new'],
    ['pending', 'pending'],
    ['requires_action', 'pending'],
    ['captured', 'paid'],
    ['declined', 'order_failed'],
    ['failed', 'order_failed'],
    ['refunded', 'order_failed'],
  ] as const)('a pending buy whose attempt is %s is %s', (status, expected) => {
    expect(widgetStatus(withAttempt(buy(), status ? attempt(status) : null))).toBe(expected);
  });

  it('a buy with no payment section yet (before verification) is new', () => {
    expect(widgetStatus(buy({ payment: null, next_step: 'verification' }))).toBe('new');
  });

  it('a sell is new before its deposit step, deposit_waiting on it, deposit_received once seen or processing', () => {
    expect(widgetStatus(sell('amount'))).toBe('new');
    expect(widgetStatus(sell('payout_card'))).toBe('new');
    expect(widgetStatus(sell('deposit'))).toBe('deposit_waiting');
    expect(widgetStatus(sell('deposit', { seen: true, confirmations: 1 }))).toBe('deposit_received');
    // The crypto came before the card: processing, the payout waits for the card.
    expect(widgetStatus(sell('payout_card', { seen: true }, { status: 'processing' }))).toBe('deposit_received');
    expect(widgetStatus(sell('processing', { seen: true }, { status: 'processing' }))).toBe('deposit_received');
  });

  it('a sell ends completed, cancelled when its deposit never came, order_failed when it failed otherwise', () => {
    expect(widgetStatus(sell('result', { seen: true }, { status: 'completed' }))).toBe('completed');
    expect(widgetStatus(sell('result', {}, { status: 'failed', failure_reason: 'deposit_expired' }))).toBe('cancelled');
    expect(widgetStatus(sell('result', {}, { status: 'cancelled', failure_reason: 'user_cancelled' }))).toBe('cancelled');
    expect(widgetStatus(sell('result', { seen: true }, { status: 'failed', failure_reason: 'payout_failed' }))).toBe('order_failed');
    expect(widgetStatus(sell('result', { seen: true }, { status: 'failed', failure_reason: 'deposit_underpaid' }))).toBe('order_failed');
  });
});

describe('statusChange', () => {
  it('has exactly the documented fields', () => {
    const change = statusChange(withAttempt(buy(), attempt('captured')));
    expect(Object.keys(change).sort()).toEqual(
      ['amount', 'currency', 'network', 'fiat_amount', 'fiat_currency', 'merchant_transaction_id', 'status', 'payment_method'].sort(),
    );
    expect(change).toEqual({
      amount: '100',
      currency: 'USDT',
      network: 'TRC20',
      fiat_amount: '92.50',
      fiat_currency: 'EUR',
      merchant_transaction_id: 'order-1',
      status: 'paid',
      payment_method: 'card',
    });
  });

  it('before an amount is picked: empty amounts, the fallback fiat currency, the transaction’s payment method or null', () => {
    expect(statusChange(buy({ quote: null, next_step: 'amount' }), 'USD')).toEqual({
      amount: '',
      currency: 'USDT',
      network: 'TRC20',
      fiat_amount: '',
      fiat_currency: 'USD',
      merchant_transaction_id: 'order-1',
      status: 'new',
      payment_method: null,
    });
    expect(statusChange(buy({}, { payment_method: 'apple_pay' })).payment_method).toBe('apple_pay');
  });

  it('carries no sell-only or secret field', () => {
    const change = statusChange(sell('deposit'));
    expect(Object.keys(change)).toHaveLength(8);
    expect(JSON.stringify(change)).not.toContain('0xdeposit');
    expect(JSON.stringify(change)).not.toContain('4242');
  });
});

describe('eventsFor', () => {
  const told = (): Told => ({ paymentFinished: new Set() });
  const names = (events: { name: string }[]) => events.map((event) => event.name);

  it('fires onStatusChange once per status change, not for every state', () => {
    const memory = told();
    expect(names(eventsFor(buy(), memory))).toEqual(['onStatusChange']);
    expect(eventsFor(buy(), memory)).toEqual([]);
    // A new quote changes no status.
    expect(eventsFor(buy({ quote: { ...quote, fiat_amount: '93.00' } }), memory)).toEqual([]);
    const paying = eventsFor(withAttempt(buy(), attempt('pending')), memory);
    expect(paying).toEqual([{ name: 'onStatusChange', data: expect.objectContaining({ status: 'pending' }) }]);
    expect(eventsFor(withAttempt(buy(), attempt('requires_action')), memory)).toEqual([]);
  });

  it('fires onPaymentFinished once per finished attempt, whatever its outcome, and once when the order fails', () => {
    const memory = told();
    eventsFor(withAttempt(buy(), attempt('pending')), memory);
    const declined = eventsFor(withAttempt(buy(), attempt('declined')), memory);
    expect(names(declined)).toEqual(['onStatusChange', 'onPaymentFinished']);
    expect(declined[1]!.data).toEqual({ payment_method: 'card' });
    expect(eventsFor(withAttempt(buy(), attempt('declined')), memory)).toEqual([]);
    // A second attempt is another payment: it finishes too.
    eventsFor(withAttempt(buy(), attempt('pending', 'a2')), memory);
    expect(names(eventsFor(withAttempt(buy(), attempt('captured', 'a2')), memory))).toEqual(['onStatusChange', 'onPaymentFinished']);
    // The same captured attempt, now processing: no second onPaymentFinished.
    expect(names(eventsFor(withAttempt(buy({}, { status: 'processing' }), attempt('captured', 'a2')), memory))).toEqual([]);
    expect(names(eventsFor(withAttempt(buy({ next_step: 'result' }, { status: 'completed' }), attempt('captured', 'a2')), memory))).toEqual(
      ['onStatusChange'],
    );

    // A rejected identity ends the order with no attempt: it finished too, once.
    const rejected = told();
    const failed = buy({ payment: null, next_step: 'result' }, { status: 'failed', failure_reason: 'kyc_rejected' });
    expect(names(eventsFor(failed, rejected))).toEqual(['onStatusChange', 'onPaymentFinished']);
    expect(eventsFor(failed, rejected)).toEqual([]);
  });

  it('the last declined attempt that fails the order is one finished payment, not two', () => {
    const memory = told();
    eventsFor(withAttempt(buy(), attempt('declined', 'a3')), memory);
    const failed = withAttempt(
      buy({ next_step: 'result' }, { status: 'failed', failure_reason: 'payment_declined' }),
      attempt('declined', 'a3'),
    );
    expect(names(eventsFor(failed, memory))).toEqual([]);
  });

  it('never fires onPaymentFinished for a sell', () => {
    const memory = told();
    for (const state of [sell('deposit'), sell('result', {}, { status: 'failed', failure_reason: 'payout_failed' })]) {
      expect(names(eventsFor(state, memory))).not.toContain('onPaymentFinished');
    }
  });

  it('fires onSellTransferEnabled once per deposit address and amount, on the deposit step only', () => {
    const memory = told();
    expect(names(eventsFor(sell('payout_card'), memory))).toEqual(['onStatusChange']);
    const shown = eventsFor(sell('deposit'), memory);
    expect(shown).toEqual([
      { name: 'onStatusChange', data: expect.objectContaining({ status: 'deposit_waiting' }) },
      {
        name: 'onSellTransferEnabled',
        data: { amount: '100', currency: 'USDT', network: 'ERC20', address: '0xdeposit', id: 'order-1', flow_id: 'payout' },
      },
    ]);
    expect(eventsFor(sell('deposit'), memory)).toEqual([]);
    // The user went back and picked another amount: the partner hears the new one.
    expect(names(eventsFor(sell('deposit', { amount: '120' }), memory))).toEqual(['onSellTransferEnabled']);
    expect(eventsFor(sell('deposit', { amount: '120' }), memory)).toEqual([]);
    // No amount yet: nothing to send.
    expect(names(eventsFor(sell('deposit', { amount: null }), told()))).toEqual(['onStatusChange']);
  });
});
