import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from './backoff.ts';

describe('backoffDelay', () => {
  it('doubles from the base, stays in the upper half of each step, and is capped', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1_000 };
    for (let i = 0; i < 200; i++) {
      const [first, second, third, late] = [1, 2, 3, 20].map((attempt) => backoffDelay(attempt, options));
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      expect(second).toBeGreaterThanOrEqual(100);
      expect(second).toBeLessThanOrEqual(200);
      expect(third).toBeGreaterThanOrEqual(200);
      expect(third).toBeLessThanOrEqual(400);
      expect(late).toBeGreaterThanOrEqual(500);
      expect(late).toBeLessThanOrEqual(1_000);
    }
  });
});

describe('sleep', () => {
  it('rejects with the signal reason when aborted', async () => {
    const controller = new AbortController();
    const sleeping = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    await expect(sleep(10, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });
});
