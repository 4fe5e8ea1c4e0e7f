/**
 * Exact money arithmetic. Amounts cross the API as decimal strings, live inside as integers in
 * minor units (bigint), and intermediate results (rate × amount, fee percentages) are exact
 * fractions until one explicit rounding step. No floats anywhere.
 */

/** A plain decimal: digits, an optional fraction, no sign, no exponent, no leading zeros. */
const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

export class AmountError extends Error {
  readonly issue: string;
  constructor(issue: string) {
    super(issue);
    this.name = 'AmountError';
    this.issue = issue;
  }
}

/** Parses a decimal string into minor units, refusing anything it would have to round. */
export function parseAmount(text: string, decimals: number): bigint {
  if (!DECIMAL.test(text)) throw new AmountError('must be a positive decimal string such as "100" or "99.50"');
  const [whole = '0', fraction = ''] = text.split('.');
  if (fraction.length > decimals) {
    throw new AmountError(decimals === 0 ? 'must be a whole number' : `must have at most ${decimals} decimal places`);
  }
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/** Formats minor units; `minFraction` keeps e.g. fiat at two places ("99.50"), crypto trims zeros ("0.5"). */
export function formatAmount(minor: bigint, decimals: number, minFraction = 0): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  let fraction = digits.slice(digits.length - decimals);
  while (fraction.length > minFraction && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** An exact fraction. Denominators stay positive. */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

export function ratio(num: bigint, den = 1n): Ratio {
  if (den === 0n) throw new RangeError('division by zero');
  return den < 0n ? { num: -num, den: -den } : { num, den };
}

/** A decimal string (a rate, a percentage) as an exact fraction. */
export function parseRatio(text: string): Ratio {
  if (!DECIMAL.test(text)) throw new AmountError(`not a decimal: "${text}"`);
  const fraction = text.split('.')[1] ?? '';
  return ratio(parseAmount(text, fraction.length), 10n ** BigInt(fraction.length));
}

export function fromMinor(minor: bigint, decimals: number): Ratio {
  return ratio(minor, 10n ** BigInt(decimals));
}

export const add = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.den + b.num * a.den, a.den * b.den);
export const sub = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.den - b.num * a.den, a.den * b.den);
export const mul = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.num, a.den * b.den);
export const div = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.den, a.den * b.num);

export type Rounding = 'up' | 'down';

/** The one rounding step: an exact value to minor units, towards +∞ ('up') or −∞ ('down'). */
export function toMinor(value: Ratio, decimals: number, rounding: Rounding): bigint {
  const scaled = value.num * 10n ** BigInt(decimals);
  const quotient = scaled / value.den;
  const exact = quotient * value.den === scaled;
  if (exact) return quotient;
  // bigint division truncates towards zero; adjust so 'down' floors and 'up' ceils for either sign.
  if (rounding === 'up') return scaled > 0n ? quotient + 1n : quotient;
  return scaled < 0n ? quotient - 1n : quotient;
}
