import { LRUCache } from 'lru-cache';

/** Unknown tokens a source address may present per minute before its lookups are rationed. */
const FAILED_AUTH_PER_MINUTE = 30;
/** While an address is over that limit, one token it presents may still be looked up per this interval. */
const BLOCKED_LOOKUP_INTERVAL_MS = 1_000;
/** How long a token that authenticated on this node is waved past the throttle (it still authenticates). */
const KNOWN_TOKEN_TTL_MS = 3_600_000;

/**
 * Throttles failed authentications per source address without locking valid partners out: many
 * partners can share one address (a load balancer, a NAT), so an address over the limit keeps
 * authenticating tokens that authenticated here recently, and may still have one other token looked
 * up a second, which lets a valid token in on a retry while guessing stays below 60 a minute.
 * One per process, shared by the /widget API and the /ws upgrade. Counts per key in fixed windows; forgets everything when it grows large (a flood of addresses).
 */
export class FailedAuthThrottle {
  private readonly failures = new Map<string, { count: number; since: number; lastLookup: number }>();
  private readonly knownTokens = new LRUCache<string, true>({ max: 10_000, ttl: KNOWN_TOKEN_TTL_MS });

  recordFailure(address: string, now: number): void {
    const entry = this.failures.get(address);
    if (!entry || now - entry.since >= 60_000) {
      if (this.failures.size > 100_000) this.failures.clear();
      this.failures.set(address, { count: 1, since: now, lastLookup: 0 });
    } else {
      entry.count++;
    }
  }

  recordSuccess(tokenHash: string): void {
    this.knownTokens.set(tokenHash, true);
  }

  /** Milliseconds until `address` may present this token; 0 when it may look it up now. */
  waitFor(address: string, tokenHash: string | null, now: number): number {
    const entry = this.failures.get(address);
    if (!entry || now - entry.since >= 60_000 || entry.count < FAILED_AUTH_PER_MINUTE) return 0;
    if (tokenHash !== null && this.knownTokens.has(tokenHash)) return 0;
    if (now - entry.lastLookup >= BLOCKED_LOOKUP_INTERVAL_MS) {
      entry.lastLookup = now;
      return 0;
    }
    return Math.min(entry.since + 60_000 - now, entry.lastLookup + BLOCKED_LOOKUP_INTERVAL_MS - now);
  }
}
