import { describe, expect, it } from 'vitest';
import { countHit, nextTurnAt, retryAfterSeconds, takeTurn, type WindowState } from './fixed-window.ts';

const MINUTE = 60_000;

describe('countHit', () => {
  it('opens a window at the first hit and counts hits inside it', () => {
    let state = countHit(undefined, 1_000, MINUTE);
    expect(state).toEqual({ count: 1, endsAt: 61_000, rationedAt: null });
    state = countHit(state, 30_000, MINUTE);
    state = countHit(state, 60_999, MINUTE);
    expect(state).toEqual({ count: 3, endsAt: 61_000, rationedAt: null });
  });

  it('opens a new window at the first hit from the window’s end on (not aligned to the clock)', () => {
    const state = countHit({ count: 500, endsAt: 61_000, rationedAt: 50_000 }, 61_000, MINUTE);
    expect(state).toEqual({ count: 1, endsAt: 121_000, rationedAt: null });
    expect(countHit(state, 200_000, MINUTE)).toEqual({ count: 1, endsAt: 260_000, rationedAt: null });
  });

  it('stamps the rationed pass on hits that arrive once the window holds rationFrom hits', () => {
    let state: WindowState | undefined;
    for (let i = 0; i < 30; i++) state = countHit(state, 1_000 + i, MINUTE, 30);
    expect(state).toEqual({ count: 30, endsAt: 61_000, rationedAt: null });
    state = countHit(state, 5_000, MINUTE, 30);
    expect(state).toEqual({ count: 31, endsAt: 61_000, rationedAt: 5_000 });
  });
});

describe('takeTurn', () => {
  const over: WindowState = { count: 31, endsAt: 61_000, rationedAt: 5_000 };

  it('grants one turn per interval while the window lives', () => {
    expect(takeTurn(over, 5_999, 1_000)).toEqual({ granted: false, state: over });
    const taken = takeTurn(over, 6_000, 1_000);
    expect(taken).toEqual({ granted: true, state: { ...over, rationedAt: 6_000 } });
    expect(takeTurn(taken.state, 6_500, 1_000).granted).toBe(false);
  });

  it('grants the first turn of a window at once, and any turn once no window lives', () => {
    expect(takeTurn({ count: 30, endsAt: 61_000, rationedAt: null }, 2_000, 1_000).granted).toBe(true);
    expect(takeTurn(over, 61_000, 1_000)).toEqual({ granted: true, state: undefined });
    expect(takeTurn(undefined, 0, 1_000)).toEqual({ granted: true, state: undefined });
  });

  it('names when the next turn may be taken', () => {
    expect(nextTurnAt(over, 1_000)).toBe(6_000);
    expect(nextTurnAt({ count: 30, endsAt: 61_000, rationedAt: null }, 1_000)).toBe(0);
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds, at least one', () => {
    expect(retryAfterSeconds(60_000)).toBe(60);
    expect(retryAfterSeconds(59_001)).toBe(60);
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(0)).toBe(1);
  });
});
