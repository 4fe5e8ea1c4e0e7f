import { describe, expect, it } from 'vitest';
import { ApiError } from '../../lib/errors.ts';
import { checkPayoutCard } from './payout-card.ts';

const now = new Date('2026-11-21T12:00:00Z');
const card = (overrides: Record<string, unknown> = {}) => ({
  number: '4242 4242 4242 4242',
  expiry_month: 12,
  expiry_year: 2030,
  holder_name: 'Ada Lovelace',
  ...overrides,
});
const problems = (input: ReturnType<typeof card>) => {
  try {
    checkPayoutCard(input as never, now);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('validation_error');
    expect((error as ApiError).message).not.toContain(String(input.number).replace(/\D/g, '').slice(0, 8));
    return (error as ApiError).details;
  }
};

describe('checkPayoutCard', () => {
  it('normalises the number and keeps the rest', () => {
    expect(checkPayoutCard(card({ number: '4242-4242-4242-4242' }), now)).toEqual({
      number: '4242424242424242',
      expiry_month: 12,
      expiry_year: 2030,
      holder_name: 'Ada Lovelace',
    });
  });

  it('is valid to the end of its expiry month (UTC), not after', () => {
    expect(problems(card({ expiry_month: 11, expiry_year: 2026 }))).toEqual([]);
    expect(problems(card({ expiry_month: 10, expiry_year: 2026 }))).toEqual([{ field: 'expiry_month', issue: 'the card has expired' }]);
    expect(problems(card({ expiry_year: 2025 }))).toEqual([{ field: 'expiry_year', issue: 'the card has expired' }]);
  });

  it('reports every problem at once, one per field, without the number', () => {
    expect(problems(card({ number: '4242424242424241', expiry_year: 2020, holder_name: ' ' }))).toEqual([
      { field: 'number', issue: 'is not a valid card number (check digit)' },
      { field: 'expiry_year', issue: 'the card has expired' },
      { field: 'holder_name', issue: 'must be 1 to 100 printable characters' },
    ]);
    expect(problems(card({ number: '42424242' }))).toEqual([{ field: 'number', issue: 'must be 12 to 19 digits' }]);
    expect(problems(card({ holder_name: 'Ada\u200bLovelace' }))).toEqual([
      { field: 'holder_name', issue: 'must be 1 to 100 printable characters' },
    ]);
  });
});
