import { LRUCache } from 'lru-cache';
import type { Clock } from '../lib/clock.ts';
import { ApiError } from '../lib/errors.ts';
import { authenticatePartner, type CallerContext, presentedTokenHash } from '../modules/partners/authenticate.ts';
import type { Platform } from '../platform.ts';

/** Unknown tokens a source address may present per minute before its lookups are rationed. */
const FAILED_AUTH_PER_MINUTE = 30;
const WINDOW_MS = 60_000;
/** While an address is over that limit, one token it presents may still be looked up per this interval. */
const BLOCKED_LOOKUP_INTERVAL_MS = 1_000;
/** How long a token that authenticated on this node is waved past the throttle (it still authenticates). */
const KNOWN_TOKEN_TTL_MS = 3_600_000;

/**
 * Authenticates partners while throttling failed authentications per source address, without locking
 * valid partners out: many partners can share one address (a load balancer, a NAT), so an address over
 * the limit keeps authenticating tokens that authenticated here recently, and may still have one other
 * token looked up a second, which lets a valid token in on a retry while guessing stays below 60 a
 * minute. One per process, shared by the /widget API, the /ws upgrade and the /admin API (a wrong
 * admin token counts like an unknown client token), on the platform's clock. Counts per address in
 * fixed windows; forgets everything when it grows large (a flood of addresses).
 */
export class FailedAuthThrottle {
  private readonly failures = new Map<string, { count: number; since: number; lastLookup: number }>();
  private readonly knownTokens = new LRUCache<string, true>({ max: 10_000, ttl: KNOWN_TOKEN_TTL_MS });
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** authenticatePartner behind the throttle. */
  async authenticate(platform: Platform, caller: CallerContext): ReturnType<typeof authenticatePartner> {
    return this.guard(caller.ip, presentedTokenHash(caller.authorization), () => authenticatePartner(platform, caller));
  }

  /**
   * Runs `check`, which authenticates the token hashed as `tokenHash` (null: the request presents none
   * readable), behind the throttle: a refused address gets 429 rate_limit_exceeded with Retry-After and
   * `check` never runs; an invalid_token from `check` counts as a failure, a success makes the token known.
   */
  async guard<T>(address: string, tokenHash: string | null, check: () => Promise<T>): Promise<T> {
    const waitMs = this.waitFor(address, tokenHash);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new ApiError('rate_limit_exceeded', `Too many failed authentications from this address. Retry after ${seconds} s.`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
    try {
      const result = await check();
      if (tokenHash !== null) this.knownTokens.set(tokenHash, true);
      return result;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_token') this.recordFailure(address);
      throw error;
    }
  }

  private recordFailure(address: string): void {
    const now = this.clock.now().getTime();
    const entry = this.failures.get(address);
    if (!entry || now - entry.since >= WINDOW_MS) {
      if (this.failures.size > 100_000) this.failures.clear();
      this.failures.set(address, { count: 1, since: now, lastLookup: 0 });
    } else {
      entry.count++;
    }
  }

  /** Milliseconds until `address` may present this token; 0 when it may look it up now. */
  private waitFor(address: string, tokenHash: string | null): number {
    const now = this.clock.now().getTime();
    const entry = this.failures.get(address);
    if (!entry || now - entry.since >= WINDOW_MS || entry.count < FAILED_AUTH_PER_MINUTE) return 0;
    if (tokenHash !== null && this.knownTokens.has(tokenHash)) return 0;
    if (now - entry.lastLookup >= BLOCKED_LOOKUP_INTERVAL_MS) {
      entry.lastLookup = now;
      return 0;
    }
    return Math.min(entry.since + WINDOW_MS - now, entry.lastLookup + BLOCKED_LOOKUP_INTERVAL_MS - now);
  }
}
