import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../lib/errors.ts';
import { registerKycRoutes } from '../modules/kyc/kyc-routes.ts';
import { authenticatePartner, presentedTokenHash } from '../modules/partners/authenticate.ts';
import { isRegisteredOrigin, type PartnerRecord } from '../modules/partners/partner-service.ts';
import { canonicalRequestOrigin } from '../modules/partners/policy.ts';
import { registerSessionRoutes } from '../modules/sessions/session-routes.ts';
import { registerTransactionRoutes } from '../modules/transactions/transaction-routes.ts';
import type { Platform } from '../platform.ts';

declare module 'fastify' {
  interface FastifyRequest {
    partner: PartnerRecord | null;
    /** Which client token authenticated the request (its hash): the rate limit counts per token. */
    tokenHash: string | null;
  }
}

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
 * Counts per key in fixed windows; forgets everything when it grows large (a flood of addresses).
 */
class FailedAuthThrottle {
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

/**
 * The /widget API: CORS for registered origins only, then the partner's token, Origin and IP rules,
 * then a per-token rate limit (per node, in memory), then the route. Failed authentications are
 * limited per source address.
 */
export async function partnerApi(app: FastifyInstance, platform: Platform): Promise<void> {
  app.decorateRequest('partner', null);
  app.decorateRequest('tokenHash', null);

  await app.register(cors, {
    // Preflights carry no token, so any active partner's registered origin gets CORS headers;
    // the real request is then held to its own partner's origins.
    origin: (origin, callback) => {
      const canonical = origin === undefined ? null : canonicalRequestOrigin(origin);
      if (canonical === null) return callback(null, false);
      isRegisteredOrigin(platform, canonical).then(
        (known) => callback(null, known),
        (error: Error) => callback(error, false),
      );
    },
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'Idempotent-Replayed'],
    maxAge: 600,
  });

  const throttle = new FailedAuthThrottle();
  app.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS') return;
    const tokenHash = presentedTokenHash(request.headers.authorization);
    // Failed authentications are throttled per source address before any database lookup.
    const waitMs = throttle.waitFor(request.ip, tokenHash, Date.now());
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new ApiError('rate_limit_exceeded', `Too many failed authentications from this address. Retry after ${seconds} s.`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
    try {
      const authenticated = await authenticatePartner(platform, {
        authorization: request.headers.authorization,
        origin: request.headers.origin,
        ip: request.ip,
      });
      request.partner = authenticated.partner;
      request.tokenHash = authenticated.tokenHash;
      throttle.recordSuccess(authenticated.tokenHash);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_token') throttle.recordFailure(request.ip, Date.now());
      throw error;
    }
  });

  await app.register(rateLimit, {
    max: platform.config.rateLimitPerMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    // Runs after authentication (route hooks follow the scope's), so every request here has a token.
    keyGenerator: (request) => request.tokenHash!,
    errorResponseBuilder: (_request, context) =>
      new ApiError('rate_limit_exceeded', `Too many requests: at most ${context.max} a minute per token. Retry after ${context.after}.`),
  });

  registerSessionRoutes(app, platform);
  registerTransactionRoutes(app, platform);
  registerKycRoutes(app, platform);
}
