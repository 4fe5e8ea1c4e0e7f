import { describe, expect, it } from 'vitest';
import { openingStatus, readableError, type ShellState, stepTitle } from './frame-text.ts';

const state = (overrides: Partial<ShellState> = {}, transaction: Partial<ShellState['transaction']> = {}): ShellState => ({
  transaction: { merchant_transaction_id: 'order-1', type: 'buy', status: 'pending', currency: 'USDT', network: 'TRC20', ...transaction },
  quote: { crypto_amount: '100', fiat_amount: '94.80', fiat_currency: 'EUR' },
  payment: { current: null },
  next_step: 'verification',
  ...overrides,
});

describe('the shell’s words', () => {
  it('names every step, and an unknown one by its name', () => {
    expect(stepTitle('verification')).toBe('Verify your identity');
    expect(stepTitle('payment_challenge')).toBe('Confirm the payment with your bank');
    expect(stepTitle('some_new_step')).toBe('some new step');
  });

  it('explains a tampered parameter, a wrong widget, an expired or reused session, a lost network', () => {
    expect(readableError('invalid_signature', ['address'])).toMatch(/changed on the way \(address\)/);
    expect(readableError('invalid_signature', ['widget_id'])).toMatch(/another widget/);
    expect(readableError('session_already_used')).toMatch(/expired or was already opened/);
    expect(readableError('network_error')).toMatch(/cannot be reached/);
    expect(readableError('anything_else')).toMatch(/Something went wrong/);
  });

  it('reports new for an opened order with no payment yet, with the spec’s payload', () => {
    expect(openingStatus(state())).toEqual({
      amount: '100',
      currency: 'USDT',
      network: 'TRC20',
      fiat_amount: '94.80',
      fiat_currency: 'EUR',
      merchant_transaction_id: 'order-1',
      status: 'new',
      payment_method: null,
    });
    expect(openingStatus(state({ quote: null }), 'USD')).toMatchObject({
      amount: '',
      fiat_amount: '',
      fiat_currency: 'USD',
      status: 'new',
    });
  });

  it('reports completed and cancelled as they are, and leaves the rest to the app', () => {
    expect(openingStatus(state({}, { status: 'completed', payment_method: 'card' }))).toMatchObject({
      status: 'completed',
      payment_method: 'card',
    });
    expect(openingStatus(state({}, { status: 'cancelled' }))?.status).toBe('cancelled');
    expect(openingStatus(state({ payment: { current: { status: 'pending' } } }))).toBeNull();
    expect(openingStatus(state({}, { status: 'processing' }))).toBeNull();
    expect(openingStatus(state({ next_step: 'deposit' }, { type: 'sell' }))).toBeNull();
  });
});
