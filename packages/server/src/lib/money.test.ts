import { describe, expect, it } from 'vitest';
import { AmountError, div, formatAmount, fromMinor, mul, parseAmount, parseRatio, toMinor } from './money.ts';

describe('parseAmount', () => {
  it('reads decimal strings into minor units exactly', () => {
    expect(parseAmount('100', 6)).toBe(100_000_000n);
    expect(parseAmount('99.50', 2)).toBe(9950n);
    expect(parseAmount('0.000001', 6)).toBe(1n);
    expect(parseAmount('123456789012345678.123456789012345678', 18)).toBe(123456789012345678123456789012345678n);
  });

  it.each([['-1'], ['1e3'], ['1E3'], ['.5'], ['5.'], ['01'], ['+1'], [' 1'], ['1,5'], ['0x10'], ['NaN'], ['Infinity'], ['１']])(
    'refuses %j',
    (text) => {
      expect(() => parseAmount(text, 6)).toThrow(AmountError);
    },
  );

  it('refuses more precision than the asset has instead of rounding', () => {
    expect(() => parseAmount('1.1234567', 6)).toThrow('at most 6 decimal places');
    expect(() => parseAmount('1.5', 0)).toThrow('whole number');
  });
});

describe('formatAmount', () => {
  it('trims crypto and keeps fiat at its minor digits', () => {
    expect(formatAmount(100_000_000n, 6)).toBe('100');
    expect(formatAmount(1_500_000n, 6)).toBe('1.5');
    expect(formatAmount(9950n, 2, 2)).toBe('99.50');
    expect(formatAmount(5n, 2, 2)).toBe('0.05');
    expect(formatAmount(-5n, 2, 2)).toBe('-0.05');
    expect(formatAmount(7n, 0, 0)).toBe('7');
  });

  it('round-trips', () => {
    for (const text of ['0.000001', '1', '10.5', '123456.123456']) expect(formatAmount(parseAmount(text, 6), 6)).toBe(text);
  });
});

describe('toMinor', () => {
  it('rounds up and down exactly where the value is not representable', () => {
    const third = div(fromMinor(100n, 2), parseRatio('3'));
    expect(toMinor(third, 2, 'down')).toBe(33n);
    expect(toMinor(third, 2, 'up')).toBe(34n);
  });

  it('does not round an exact value', () => {
    expect(toMinor(mul(parseRatio('0.92'), fromMinor(100_000_000n, 6)), 2, 'up')).toBe(9200n);
  });

  it('floors and ceils negative values', () => {
    const value = div(parseRatio('1'), parseRatio('3'));
    const negative = { num: -value.num, den: value.den };
    expect(toMinor(negative, 2, 'down')).toBe(-34n);
    expect(toMinor(negative, 2, 'up')).toBe(-33n);
  });
});
