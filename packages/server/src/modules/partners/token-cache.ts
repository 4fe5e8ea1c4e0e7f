import { LRUCache } from 'lru-cache';
import type { Platform } from '../../platform.ts';
import type { PartnerRecord } from './partner-store.ts';

export interface CachedToken {
  partner: PartnerRecord;
  /** Epoch milliseconds; null when the token does not expire. */
  tokenExpiresAt: number | null;
}

/** Tokens a node remembers at once; the least recently used is forgotten first. */
const MAX_CACHED_TOKENS = 10_000;

/**
 * Recently seen tokens, so a request does not cost a database round trip before its real work.
 * The partners module owns the cache: it is kept per database handle (the platform's `db`), made on
 * first use, and only this module's code reaches it. A change made through partner-service clears
 * it on this node at once and, through the event bus, on every other node moments later; should
 * that message be lost (a node's LISTEN connection dropped), AUTH_CACHE_TTL (default 5 s, 0 turns
 * caching off) bounds how long a node trusts what it saw. Token expiry is checked on every use, so
 * a grace period ends on time.
 */
const cachesByDatabase = new WeakMap<object, LRUCache<string, CachedToken>>();

/** The cache of the platform's database, or null when AUTH_CACHE_TTL is 0. */
export function tokenCacheOf(platform: Pick<Platform, 'db' | 'config'>): LRUCache<string, CachedToken> | null {
  const ttl = platform.config.authCacheTtlMs;
  if (ttl <= 0) return null;
  let cache = cachesByDatabase.get(platform.db);
  if (!cache) {
    cache = new LRUCache<string, CachedToken>({ max: MAX_CACHED_TOKENS, ttl });
    cachesByDatabase.set(platform.db, cache);
  }
  return cache;
}

/** Forgets every cached token of this platform's database: after any change to partners or tokens. */
export function forgetCachedTokens(platform: Pick<Platform, 'db'>): void {
  cachesByDatabase.get(platform.db)?.clear();
}

/** After a committed change to a partner or its tokens: this node forgets at once, every node when the bus tells it. */
export async function announceAccessChange(platform: Pick<Platform, 'db' | 'bus'>, partnerId: string): Promise<void> {
  forgetCachedTokens(platform);
  await platform.bus.publishAccessChange(platform.db, partnerId);
}

/**
 * Makes this node forget cached tokens whenever any node announces an access change, or the bus
 * may have missed one. Register it before anything that re-checks access on the same event (the
 * WebSocket hub), so that re-check reads the database. Returns the unsubscribe function.
 */
export function followAccessChanges(platform: Pick<Platform, 'db' | 'bus'>): () => void {
  const forget = () => forgetCachedTokens(platform);
  const stopAccess = platform.bus.onAccessChange(forget);
  const stopReset = platform.bus.onReset(forget);
  return () => {
    stopAccess();
    stopReset();
  };
}
