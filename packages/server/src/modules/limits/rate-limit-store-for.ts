import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Tables } from '../../db/tables.ts';
import { MemoryRateLimitStore, PostgresRateLimitStore, type RateLimitStore } from './rate-limit-store.ts';
import { RedisRateLimitStore } from './redis-rate-limit-store.ts';

/**
 * The store for this deployment: Redis when REDIS_URL is set (whatever the database), else PostgreSQL's
 * table when nodes may share it, memory for the embedded database. A Redis store waits for its
 * connection (at most a couple of seconds) so the first requests are counted; one that does not connect
 * in time is used all the same, failing open until Redis answers.
 */
export async function rateLimitStoreFor(options: {
  dbKind: 'pglite' | 'postgres';
  db: Kysely<Tables>;
  redis: { url: string; keyPrefix: string } | undefined;
  logger: Logger;
  onPurgeError: (error: unknown) => void;
}): Promise<RateLimitStore> {
  if (options.redis !== undefined) {
    const store = new RedisRateLimitStore({ url: options.redis.url, keyPrefix: options.redis.keyPrefix, logger: options.logger });
    await store.ready();
    return store;
  }
  return options.dbKind === 'postgres' ? new PostgresRateLimitStore(options) : new MemoryRateLimitStore();
}
