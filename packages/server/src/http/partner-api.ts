import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../lib/errors.ts';
import { registerKycRoutes } from '../modules/kyc/kyc-routes.ts';
import { authenticatePartner } from '../modules/partners/authenticate.ts';
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

/** Unknown tokens a source address may present per minute before it is refused without a lookup. */
const FAILED_AUTH_PER_MINUTE = 30;

/** Counts failures per key in fixed windows; forgets everything when it grows large (a flood of addresses). */
class FailureWindow {
  private readonly counts = new Map<string, { count: number; since: number }>();
  private readonly limit: number;
  private readonly windowMs: number;
  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }
  record(key: string, now: number): void {
    const entry = this.counts.get(key);
    if (!entry || now - entry.since >= this.windowMs) {
      if (this.counts.size > 100_000) this.counts.clear();
      this.counts.set(key, { count: 1, since: now });
    } else {
      entry.count++;
    }
  }
  /** Milliseconds until `key` may try again; 0 when it may now. */
  blockedFor(key: string, now: number): number {
    const entry = this.counts.get(key);
    if (!entry || now - entry.since >= this.windowMs || entry.count < this.limit) return 0;
    return entry.since + this.windowMs - now;
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

  const failedAuth = new FailureWindow(FAILED_AUTH_PER_MINUTE, 60_000);
  app.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS') return;
    // Guessing tokens is throttled per source address before any database lookup.
    const retryAfterMs = failedAuth.blockedFor(request.ip, Date.now());
    if (retryAfterMs > 0) {
      const seconds = Math.ceil(retryAfterMs / 1000);
      throw new ApiError('rate_limit_exceeded', `Too many failed authentications from this address. Retry after ${seconds} s.`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
    try {
      const { partner, tokenHash } = await authenticatePartner(platform, {
        authorization: request.headers.authorization,
        origin: request.headers.origin,
        ip: request.ip,
      });
      request.partner = partner;
      request.tokenHash = tokenHash;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_token') failedAuth.record(request.ip, Date.now());
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
