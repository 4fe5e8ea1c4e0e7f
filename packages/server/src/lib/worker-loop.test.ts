import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Notifier } from './notifier.ts';
import { WorkerLoop } from './worker-loop.ts';

const silent = pino({ level: 'silent' });

describe('WorkerLoop', () => {
  it('drain runs rounds until one handles nothing, and sums what they handled', async () => {
    const queue = [3, 2, 0, 5];
    const loop = new WorkerLoop({ failure: 'x', logger: silent, round: async () => queue.shift() ?? 0, pollIntervalMs: () => 60_000 });
    expect(await loop.drain()).toBe(5);
    expect(queue).toEqual([5]);
  });

  it('runs one round at a time, however many callers ask', async () => {
    let active = 0;
    let most = 0;
    const loop = new WorkerLoop({
      failure: 'x',
      logger: silent,
      round: async () => {
        most = Math.max(most, ++active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active--;
        return 0;
      },
      pollIntervalMs: () => 60_000,
    });
    await Promise.all([loop.round(), loop.round(), loop.round()]);
    expect(most).toBe(1);
  });

  it('a notice wakes a started loop at once instead of after its poll interval; stop ends it', async () => {
    let rounds = 0;
    const notifier = new Notifier();
    const loop = new WorkerLoop({
      failure: 'x',
      logger: silent,
      round: async () => {
        rounds++;
        return 0;
      },
      pollIntervalMs: () => 60_000,
      notifier,
    });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(rounds).toBe(1); // the first round, then a one-minute wait
    notifier.notify();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(rounds).toBe(2);
    await loop.stop();
    notifier.notify();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(rounds).toBe(2);
  });

  it('a round that throws is logged and the loop carries on', async () => {
    const lines: unknown[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let rounds = 0;
    const loop = new WorkerLoop({
      failure: 'the round failed',
      logger,
      round: async () => {
        rounds++;
        if (rounds === 1) throw new Error('boom');
        return 0;
      },
      pollIntervalMs: () => 10,
    });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await loop.stop();
    expect(rounds).toBeGreaterThan(1);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'the round failed' }));
  });
});
