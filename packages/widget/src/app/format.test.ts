import { describe, expect, it } from 'vitest';
import { countdown, normalizeAmount } from './format.ts';

describe('countdown', () => {
  const now = Date.parse('2030-01-01T12:00:00Z');
  const inSeconds = (seconds: number) => new Date(now + seconds * 1000);

  it('shows m:ss under an hour, h:mm:ss beyond', () => {
    expect(countdown(inSeconds(59), now)).toBe('0:59');
    expect(countdown(inSeconds(61), now)).toBe('1:01');
    expect(countdown(inSeconds(10 * 60), now)).toBe('10:00');
    expect(countdown(inSeconds(3599), now)).toBe('59:59');
    expect(countdown(inSeconds(3600), now)).toBe('1:00:00');
    expect(countdown(inSeconds(6 * 3600 - 1), now)).toBe('5:59:59');
    expect(countdown(inSeconds(3600 + 5 * 60 + 7), now)).toBe('1:05:07');
  });

  it('counts whole seconds left (a part second is not a second)', () => {
    expect(countdown(new Date(now + 1999), now)).toBe('0:01');
    expect(countdown(new Date(now + 999), now)).toBe('0:00');
  });

  it('reads an ISO deadline', () => {
    expect(countdown('2030-01-01T12:02:30Z', now)).toBe('2:30');
    expect(countdown('2030-01-01T12:02:30.000+00:00', now)).toBe('2:30');
  });

  it('stays at 0:00 once past, and for a deadline it cannot read', () => {
    expect(countdown(inSeconds(0), now)).toBe('0:00');
    expect(countdown(inSeconds(-90), now)).toBe('0:00');
    expect(countdown('not a date', now)).toBe('0:00');
  });
});

describe('normalizeAmount', () => {
  it('keeps plain and decimal amounts, trimmed', () => {
    expect(normalizeAmount('100')).toBe('100');
    expect(normalizeAmount(' 0.05 ')).toBe('0.05');
    expect(normalizeAmount('12.123456789012345678')).toBe('12.123456789012345678');
  });

  it('reads a decimal comma as a point', () => {
    expect(normalizeAmount('0,05')).toBe('0.05');
    expect(normalizeAmount('1234,5')).toBe('1234.5');
  });

  it('refuses zero', () => {
    for (const zero of ['0', '0.0', '0,00', '000']) expect(normalizeAmount(zero)).toBeNull();
  });

  it('refuses what is not an amount', () => {
    for (const bad of [
      '',
      '   ',
      'abc',
      '-5',
      '+5',
      '1e3',
      '1.',
      '.5',
      '1.2.3',
      '1,000.50',
      '1 000',
      '10 EUR',
      '0x10',
      'Infinity',
      'NaN',
      '1234567890123',
      '1.1234567890123456789',
    ]) {
      expect(normalizeAmount(bad), bad).toBeNull();
    }
  });
});
