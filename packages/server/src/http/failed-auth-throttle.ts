import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { ApiError } from '../lib/errors.ts';
import { nextTurnAt, retryAfterSeconds, type WindowState } from '../modules/limits/fixed-window.ts';
import { OutageLog } from '../modules/limits/outage-log.ts';
import { limitKey, type RateLimitStore } from '../modules/limits/rate-limit-store.ts';
import { authenticatePartner, type CallerContext, presentedTokenHash } from '../modules/partners/authenticate.ts';
import type { Platform } from '../platform.ts';

/** Unknown tokens a source address may present per minute before its lookups are rationed. */
const FAILED_AUTH_PER_MINUTE = 30;
const WINDOW_MS = 60_000;
/** While an address is over that limit, one token it presents may still be looked up per this interval. */
const BLOCKED_LOOKUP_INTERVAL_MS = 1_000;
/** How long a token that authenticated on this node is waved past the throttle (it still authenticates). */
const KNOWN_TOKEN_TTL_MS = 3_600_000;
/** Addresses this node knows to be over the limit; past this many it forgets them all (a flood of addresses). */
const MAX_BLOCKED_ADDRESSES = 100_000;

/**
 * Authenticates partners while throttling failed authentications per source address, without locking
 * valid partners out: many partners can share one address (a load balancer, a NAT), so an address over
 * the limit keeps authenticating tokens that authenticated here recently, and may still have one other
 * token looked up a second, which lets a valid token in on a retry while guessing stays below 60 a
 * minute. One per process, shared by the /widget API, the /ws upgrade and the /admin API (a wrong
 * admin token counts like an unknown client token), on the platform's clock.
 *
 * The counts live in the rate-limit store, so on PostgreSQL every node counts the same failures per
 * address (fixed windows of a minute) and grants the same one lookup a second. The request path asks
 * the store nothing until this node has seen the address go over the limit: a failure is one upsert
 * that answers the address's count; from 30 on, this node keeps the window's end and the next lookup's
 * time and refuses unread until then, asking the store for the turn only when it is due. A node that
 * has not yet seen the address fail lets one lookup through, which then counts (and stamps the turn)
 * like any other: guessing across N nodes stays within 30 + 60 + N a minute.
 */
export class FailedAuthThrottle {
  /** Over-the-limit addresses as this node last learned from the store: when their window ends, when their next lookup is due. */
  private readonly blocked = new Map<string, { endsAt: number; nextTurnAt: number }>();
  private readonly knownTokens = new LRUCache<string, true>({ max: 10_000, ttl: KNOWN_TOKEN_TTL_MS });
  private readonly clock: Clock;
  private readonly store: RateLimitStore;
  private readonly keySecret: Buffer;
  private readonly outage: OutageLog;

  /** `keySecret` hashes the addresses before they are stored (limitKey). */
  constructor(options: { clock: Clock; store: RateLimitStore; logger: Logger; keySecret: Buffer }) {
    this.clock = options.clock;
    this.store = options.store;
    this.keySecret = options.keySecret;
    this.outage = new OutageLog(options.logger, 'failed-authentication throttle');
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
    const waitMs = await this.waitFor(address, tokenHash);
    if (waitMs > 0) {
      const seconds = retryAfterSeconds(waitMs);
      throw new ApiError('rate_limit_exceeded', `Too many failed authentications from this address. Retry after ${seconds} s.`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
    try {
      const result = await check();
      if (tokenHash !== null) this.knownTokens.set(tokenHash, true);
      return result;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_token') await this.recordFailure(address);
      throw error;
    }
  }

  private async recordFailure(address: string): Promise<void> {
    const now = this.clock.now().getTime();
    try {
      const state = await this.store.hit(limitKey(this.keySecret, 'auth', address), {
        now,
        windowMs: WINDOW_MS,
        rationFrom: FAILED_AUTH_PER_MINUTE,
      });
      this.outage.answered();
      this.learn(address, state);
    } catch (error) {
      // The answer stays 401; only the count is lost (the database is failing the lookups too).
      this.outage.failed(error, 'counting a failed authentication');
    }
  }

  /** Milliseconds until `address` may present this token; 0 when it may look it up now. */
  private async waitFor(address: string, tokenHash: string | null): Promise<number> {
    const now = this.clock.now().getTime();
    const entry = this.blocked.get(address);
    if (entry === undefined) return 0;
    if (entry.endsAt <= now) {
      this.blocked.delete(address);
      return 0;
    }
    if (tokenHash !== null && this.knownTokens.has(tokenHash)) return 0;
    if (now < entry.nextTurnAt) return Math.min(entry.endsAt, entry.nextTurnAt) - now;
    let turn: Awaited<ReturnType<RateLimitStore['takeTurn']>>;
    try {
      turn = await this.store.takeTurn(limitKey(this.keySecret, 'auth', address), { now, intervalMs: BLOCKED_LOOKUP_INTERVAL_MS });
    } catch (error) {
      this.outage.failed(error, 'asking for a rationed lookup');
      return 0;
    }
    this.outage.answered();
    if (turn.state === undefined) {
      this.blocked.delete(address);
      return 0;
    }
    this.learn(address, turn.state);
    if (turn.granted) return 0;
    return Math.max(1, Math.min(turn.state.endsAt, nextTurnAt(turn.state, BLOCKED_LOOKUP_INTERVAL_MS)) - now);
  }

  /** Keeps what the store answered about an address that is over the limit. */
  private learn(address: string, state: WindowState): void {
    if (state.count < FAILED_AUTH_PER_MINUTE) return;
    if (!this.blocked.has(address) && this.blocked.size >= MAX_BLOCKED_ADDRESSES) this.blocked.clear();
    this.blocked.set(address, { endsAt: state.endsAt, nextTurnAt: nextTurnAt(state, BLOCKED_LOOKUP_INTERVAL_MS) });
  }
}
