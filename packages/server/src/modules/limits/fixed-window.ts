/**
 * Fixed-window counting, the arithmetic every rate-limit store follows (the PostgreSQL store runs the
 * same rules as one SQL statement, the Redis store as one script; see rate-limit-store.ts and
 * redis-rate-limit-store.ts). A window opens at a key's first hit and lasts `windowMs`; hits inside it
 * add up; the first hit after it ends opens a new one at 1. This is what @fastify/rate-limit's own
 * in-memory store and the earlier per-process throttle did, so the answers (429 after `max`,
 * Retry-After = the window's remaining time) stay as they were.
 *
 * Rationing (the failed-authentication throttle): once a window holds `rationFrom` hits, each further
 * hit, and each granted turn, stamps `rationedAt`; one turn is granted per `intervalMs`. Pure: times
 * are milliseconds since the epoch, passed in.
 */

export interface WindowState {
  /** Hits in the window so far. */
  count: number;
  /** When the window ends (ms); the next hit from then on opens a new window. */
  endsAt: number;
  /** When a rationed pass was last used in this window (ms), null when none was. */
  rationedAt: number | null;
}

/** The window after one more hit at `now`. `rationFrom`: a hit arriving when the window already holds that many stamps `rationedAt`. */
export function countHit(
  state: WindowState | undefined,
  now: number,
  windowMs: number,
  rationFrom = Number.POSITIVE_INFINITY,
): WindowState {
  if (state === undefined || state.endsAt <= now) return { count: 1, endsAt: now + windowMs, rationedAt: null };
  return { count: state.count + 1, endsAt: state.endsAt, rationedAt: state.count >= rationFrom ? now : state.rationedAt };
}

/**
 * Takes the rationed turn of the moment: granted when no window is live or no turn was used in the last
 * `intervalMs`; `state` is the window afterwards (undefined when none is live).
 */
export function takeTurn(
  state: WindowState | undefined,
  now: number,
  intervalMs: number,
): { granted: boolean; state: WindowState | undefined } {
  if (state === undefined || state.endsAt <= now) return { granted: true, state: undefined };
  if (state.rationedAt !== null && now - state.rationedAt < intervalMs) return { granted: false, state };
  return { granted: true, state: { ...state, rationedAt: now } };
}

/** When the next rationed turn may be taken (ms): at once (0) when none was used in this window. */
export function nextTurnAt(state: WindowState, intervalMs: number): number {
  return state.rationedAt === null ? 0 : state.rationedAt + intervalMs;
}

/** A wait in whole seconds for Retry-After: rounded up, at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
