import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../lib/errors.ts';
import { registerKycRoutes } from '../modules/kyc/kyc-routes.ts';
import type { RateLimitStore } from '../modules/limits/rate-limit-store.ts';
import { isRegisteredOrigin, type PartnerRecord } from '../modules/partners/partner-service.ts';
import { canonicalRequestOrigin } from '../modules/partners/policy.ts';
import { registerQuoteRoutes } from '../modules/sessions/quote-routes.ts';
import { registerSessionRoutes } from '../modules/sessions/session-routes.ts';
import { registerTransactionRoutes } from '../modules/transactions/transaction-routes.ts';
import type { Platform } from '../platform.ts';
import type { FailedAuthThrottle } from './failed-auth-throttle.ts';
import { sharedRateLimitStore } from './shared-rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    partner: PartnerRecord | null;
    /** Which client token authenticated the request (its hash): the rate limit counts per token. */
    tokenHash: string | null;
  }
}

/**
 * The /widget API: CORS for registered origins only, then the partner's token, Origin and IP rules,
 * then a per-token rate limit (counted in `limits`: on PostgreSQL, across all nodes), then the route.
 * Failed authentications are limited per source address.
 */
export async function partnerApi(
  app: FastifyInstance,
  platform: Platform,
  throttle: FailedAuthThrottle,
  limits: RateLimitStore,
): Promise<void> {
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

  app.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS') return;
    const authenticated = await throttle.authenticate(platform, {
      authorization: request.headers.authorization,
      origin: request.headers.origin,
      ip: request.ip,
    });
    request.partner = authenticated.partner;
    request.tokenHash = authenticated.tokenHash;
  });

  await app.register(rateLimit, {
    max: platform.config.rateLimitPerMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    store: sharedRateLimitStore({
      store: limits,
      clock: platform.clock,
      logger: platform.logger,
      scope: 'widget',
      keySecret: platform.keys.rateLimitKeys,
    }),
    skipOnError: true,
    // Runs after authentication (route hooks follow the scope's), so every request here has a token.
    keyGenerator: (request) => request.tokenHash!,
    errorResponseBuilder: (_request, context) =>
      new ApiError('rate_limit_exceeded', `Too many requests: at most ${context.max} a minute per token. Retry after ${context.after}.`),
  });

  registerSessionRoutes(app, platform);
  registerQuoteRoutes(app, platform);
  registerTransactionRoutes(app, platform);
  registerKycRoutes(app, platform);
}
