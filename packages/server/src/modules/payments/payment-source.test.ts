import { describe, expect, it } from 'vitest';
import { ApiError } from '../../lib/errors.ts';
import { checkPaymentSource, describeCard, passesLuhn } from './payment-source.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const card = (overrides: Record<string, unknown> = {}) => ({
  method: 'card',
  card: { number: '4242 4242 4242 4242', expiry_month: 12, expiry_year: 2030, cvc: '123', ...overrides },
});

function refusal(input: unknown): { message: string; details: Array<{ field: string; issue: string }> } {
  try {
    checkPaymentSource(input, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.code).toBe('validation_error');
    expect(apiError.status).toBe(400);
    return { message: apiError.message, details: apiError.details ?? [] };
  }
  throw new Error('expected a refusal');
}

describe('payment sources', () => {
  it('accepts a card, without separators in the number, and keeps only brand and last four for display', () => {
    const source = checkPaymentSource(card({ number: '4242-4242 4242-4242', holder_name: 'Ada Lovelace' }), NOW);
    expect(source).toEqual({
      method: 'card',
      card: { number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvc: '123', holder_name: 'Ada Lovelace' },
    });
    expect(describeCard('4242424242424242')).toEqual({ brand: 'visa', last4: '4242' });
  });

  it('accepts wallet tokens', () => {
    expect(checkPaymentSource({ method: 'apple_pay', token: 'tok_sandbox_success' }, NOW)).toEqual({
      method: 'apple_pay',
      token: 'tok_sandbox_success',
    });
    expect(checkPaymentSource({ method: 'google_pay', token: 'x' }, NOW)).toEqual({ method: 'google_pay', token: 'x' });
  });

  it.each([
    ['a wrong check digit', { number: '4242424242424241' }, 'card.number', 'is not a valid card number (check digit)'],
    ['too few digits', { number: '42424242424' }, 'card.number', 'must be 12 to 19 digits'],
    ['letters', { number: '4242x24242424242' }, 'card.number', 'must be 12 to 19 digits'],
    ['no number', { number: '' }, 'card.number', 'is required'],
    ['month 13', { expiry_month: 13 }, 'card.expiry_month', 'must be a whole number from 1 to 12'],
    ['a two-digit year', { expiry_year: 30 }, 'card.expiry_year', 'must be a four-digit year such as 2030'],
    ['last year', { expiry_year: 2025 }, 'card.expiry_year', 'the card has expired'],
    ['last month', { expiry_year: 2026, expiry_month: 10 }, 'card.expiry_month', 'the card has expired'],
    ['a 2-digit CVC', { cvc: '12' }, 'card.cvc', 'must be 3 or 4 digits'],
    ['a 5-digit CVC', { cvc: '12345' }, 'card.cvc', 'must be 3 or 4 digits'],
    ['a numeric CVC', { cvc: 123 }, 'card.cvc', 'must be 3 or 4 digits'],
    ['an unknown field', { pin: '0000' }, 'card.pin', 'is not a known field'],
    ['an invisible character in the name', { holder_name: 'Ada\u200b' }, 'card.holder_name', 'must be 1 to 100 printable characters'],
  ])('refuses %s, naming the field', (_label, overrides, field, issue) => {
    const { details } = refusal(card(overrides));
    expect(details).toContainEqual({ field, issue });
  });

  it('takes a card that expires this month (valid to the end of it)', () => {
    expect(checkPaymentSource(card({ expiry_year: 2026, expiry_month: 11 }), NOW).method).toBe('card');
  });

  it('reports every problem at once and never repeats the number', () => {
    const number = '4000 0000 0000 9996';
    const { message, details } = refusal(card({ number, cvc: 'abc', expiry_month: 0 }));
    expect(details.map((detail) => detail.field).sort()).toEqual(['card.cvc', 'card.expiry_month', 'card.number']);
    const text = JSON.stringify({ message, details });
    expect(text).not.toContain('4000');
    expect(text).not.toContain('9996');
  });

  it.each([
    ['no method', {}, 'method'],
    ['an unknown method', { method: 'paypal' }, 'method'],
    ['a card without card details', { method: 'card' }, 'card'],
    ['a wallet without a token', { method: 'apple_pay' }, 'token'],
    ['a wallet with card details', { method: 'google_pay', token: 't', card: card().card }, 'card'],
    ['a card with a token', { ...card(), token: 't' }, 'token'],
    ['an unknown field', { method: 'apple_pay', token: 't', amount: '1' }, 'amount'],
    ['not an object', 'card', 'source'],
  ])('refuses %s', (_label, input, field) => {
    expect(refusal(input).details.map((detail) => detail.field)).toContain(field);
  });

  it('knows the Luhn check and the brands by prefix', () => {
    for (const number of ['4242424242424242', '5555555555554444', '378282246310005', '6011111111111117', '4000000000003220']) {
      expect(passesLuhn(number), number).toBe(true);
    }
    expect(passesLuhn('4242424242424243')).toBe(false);
    expect(describeCard('5555555555554444')).toEqual({ brand: 'mastercard', last4: '4444' });
    expect(describeCard('2223003122003222').brand).toBe('mastercard');
    expect(describeCard('378282246310005')).toEqual({ brand: 'amex', last4: '0005' });
    expect(describeCard('6011111111111117').brand).toBe('discover');
    expect(describeCard('3530111333300000').brand).toBe('jcb');
    expect(describeCard('30569309025904').brand).toBe('diners');
    expect(describeCard('6200000000000005').brand).toBe('unionpay');
    expect(describeCard('9999999999999995').brand).toBe('unknown');
  });
});
