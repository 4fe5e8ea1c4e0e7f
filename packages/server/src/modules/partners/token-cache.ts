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
 * first use, and only this module's code reaches it. Changes made through partner-service on this
 * node clear it at once; other nodes see them within AUTH_CACHE_TTL (default 5 s, 0 turns caching
 * off). Token expiry is checked on every use, so a grace period ends on time.
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
