import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, nextDelayMs, parseRetryAfter, RETRY_DELAYS_MS } from './retry-schedule.ts';

describe('webhook retry schedule', () => {
  it('lasts about three days over ten attempts', () => {
    expect(MAX_ATTEMPTS).toBe(10);
    const total = RETRY_DELAYS_MS.reduce((sum, delay) => sum + delay, 0);
    expect(total / 3_600_000).toBeCloseTo(75.585, 2);
  });

  it('applies at most ±10 % jitter', () => {
    expect(nextDelayMs(1, { random: () => 0 })).toBe(4_500);
    expect(nextDelayMs(1, { random: () => 0.5 })).toBe(5_000);
    expect(nextDelayMs(1, { random: () => 1 })).toBe(5_500);
    expect(nextDelayMs(9, { random: () => 0.5 })).toBe(86_400_000);
  });

  it('stops after the tenth attempt', () => {
    expect(nextDelayMs(10)).toBeNull();
  });

  it('honours a longer Retry-After, capped at a day', () => {
    expect(nextDelayMs(1, { random: () => 0.5, retryAfterMs: 60_000 })).toBe(60_000);
    expect(nextDelayMs(1, { random: () => 0.5, retryAfterMs: 10 * 86_400_000 })).toBe(86_400_000);
    expect(nextDelayMs(3, { random: () => 0.5, retryAfterMs: 1_000 })).toBe(1_800_000);
  });

  it('reads Retry-After in seconds or as a date', () => {
    const now = new Date('2026-11-21T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
