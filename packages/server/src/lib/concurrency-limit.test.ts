import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from './concurrency-limit.ts';

/** A piece of work that stays running until `finish` is called, recording when it started. */
function held(started: number[], index: number) {
  let finish!: (fail?: boolean) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = (fail) => (fail ? reject(new Error(`work ${index} failed`)) : resolve());
  });
  return {
    work: async () => {
      started.push(index);
      await done;
      return index;
    },
    finish: (fail?: boolean) => finish(fail),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimit', () => {
  it('runs at most its limit at once and starts the waiting ones in the order they came', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const pieces = [0, 1, 2, 3, 4].map((i) => held(started, i));
    const results = pieces.map((piece) => limit.run(piece.work));
    await settle();
    expect(started).toEqual([0, 1]);
    expect(limit.queued).toBe(3);

    pieces[1]!.finish();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    pieces[0]!.finish();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(limit.queued).toBe(1);

    for (const piece of pieces.slice(2)) piece.finish();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(limit.queued).toBe(0);
  });

  it('frees the place of work that throws, and passes the error on', async () => {
    const limit = new ConcurrencyLimit(1);
    const started: number[] = [];
    const [failing, next] = [held(started, 0), held(started, 1)];
    const first = limit.run(failing.work);
    const second = limit.run(next.work);
    await settle();
    expect(started).toEqual([0]);
    failing.finish(true);
    await expect(first).rejects.toThrow('work 0 failed');
    await settle();
    expect(started).toEqual([0, 1]);
    next.finish();
    expect(await second).toBe(1);

    // Free again: the next piece starts at once.
    const after = held(started, 2);
    const third = limit.run(after.work);
    await settle();
    expect(started).toEqual([0, 1, 2]);
    after.finish();
    await third;
  });

  it('refuses a limit below 1 or not whole', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow('at least 1');
    expect(() => new ConcurrencyLimit(1.5)).toThrow('at least 1');
  });
});
