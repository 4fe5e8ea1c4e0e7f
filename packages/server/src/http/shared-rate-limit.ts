import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { OutageLog } from '../modules/limits/outage-log.ts';
import { limitKey, type RateLimitStore } from '../modules/limits/rate-limit-store.ts';

/** Keys this node remembers as over their limit; past this many it forgets them all rather than grow. */
const MAX_OVER_KEYS = 10_000;

/**
 * @fastify/rate-limit's store, counting in the platform's rate-limit store (on PostgreSQL, shared by
 * every node), so the plugin's answers stay exactly as they were: 429 with Retry-After and the
 * x-ratelimit-* headers. `scope` keeps each API's counts apart; keys are hashed under `keySecret`
 * (limitKey) before they are stored.
 *
 * One store round trip per request at most, and none once a key is over its limit: this node then
 * answers 429 from memory until the window ends (those refused requests are not counted, as they
 * would not change the answer). A failing store lets requests through (the plugin's skipOnError) and
 * is logged.
 */
export function sharedRateLimitStore(options: {
  store: RateLimitStore;
  clock: Clock;
  logger: Logger;
  scope: string;
  keySecret: Buffer;
}): FastifyRateLimitStoreCtor {
  const { store, clock, logger, scope, keySecret } = options;
  const outage = new OutageLog(logger, `rate limit (${scope})`);
  return class SharedRateLimitStore implements FastifyRateLimitStore {
    /** Hashed key → when its window ends, for keys over their limit. */
    private readonly over = new Map<string, number>();

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
      max: number,
    ): void {
      const now = clock.now().getTime();
      const stored = limitKey(keySecret, scope, key);
      const overUntil = this.over.get(stored);
      if (overUntil !== undefined) {
        if (overUntil > now) {
          callback(null, { current: max + 1, ttl: overUntil - now });
          return;
        }
        this.over.delete(stored);
      }
      store.hit(stored, { now, windowMs: timeWindow }).then(
        (state) => {
          if (state.count > max) {
            if (this.over.size >= MAX_OVER_KEYS) this.over.clear();
            this.over.set(stored, state.endsAt);
          }
          outage.answered();
          callback(null, { current: state.count, ttl: state.endsAt - now });
        },
        (error: Error) => {
          outage.failed(error, 'counting a request');
          callback(error);
        },
      );
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}
