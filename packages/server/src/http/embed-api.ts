import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { sha256Hex } from '../lib/crypto.ts';
import { ApiError } from '../lib/errors.ts';
import { registerEmbedRoutes } from '../modules/embed/embed-routes.ts';
import { verifyWidgetCredential, type WidgetCredentialClaims } from '../modules/embed/widget-credential.ts';
import type { RateLimitStore } from '../modules/limits/rate-limit-store.ts';
import type { Platform } from '../platform.ts';
import type { FailedAuthThrottle } from './failed-auth-throttle.ts';
import { sharedRateLimitStore } from './shared-rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The transaction the iframe's widget credential is for (every /embed route but the opening). */
    embed: WidgetCredentialClaims | null;
  }
}

const OPEN_PATH = '/embed/v1/sessions/open';

/**
 * The API the widget's iframe calls, under /embed/v1 (the partner contract is /widget). It never
 * accepts a client token: the iframe exchanges the session's init_token once for a widget credential
 * bound to one transaction, and sends that as a bearer header (cookies are blocked in third-party
 * iframes). CORS admits the platform's own origin only (the iframe is served from it); requests are
 * limited per credential, openings per address (counted in `limits`: on PostgreSQL, across all
 * nodes), and failed credentials count in the same throttle as failed client tokens.
 */
export async function embedApi(
  app: FastifyInstance,
  platform: Platform,
  throttle: FailedAuthThrottle,
  limits: RateLimitStore,
): Promise<void> {
  app.decorateRequest('embed', null);

  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && origin === new URL(platform.config.publicUrl).origin),
    methods: ['GET', 'POST', 'PUT'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });

  app.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS' || request.url.split('?')[0] === OPEN_PATH) return;
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === '') {
      throw new ApiError('missing_token', 'Send the widget credential as "Authorization: Bearer <credential>".');
    }
    const presented = /^Bearer\s+(\S{1,2048})\s*$/i.exec(header)?.[1] ?? null;
    request.embed = await throttle.guard(request.ip, presented === null ? null : sha256Hex(presented), async () => {
      if (presented?.startsWith('ct_')) {
        throw new ApiError(
          'invalid_token',
          'The embed API never takes a client token: it is a server secret. Open the session with its init_token.',
        );
      }
      try {
        return await verifyWidgetCredential(platform.keys.widgetCredential, presented ?? '', platform.clock.now());
      } catch {
        throw new ApiError(
          'invalid_token',
          'The widget credential is unknown or expired; the session must be opened again by its partner.',
        );
      }
    });
  });

  await app.register(rateLimit, {
    max: platform.config.embedRateLimitPerMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    store: sharedRateLimitStore({
      store: limits,
      clock: platform.clock,
      logger: platform.logger,
      scope: 'embed',
      keySecret: platform.keys.rateLimitKeys,
    }),
    skipOnError: true,
    keyGenerator: (request) => (request.embed ? `tx:${request.embed.tid}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new ApiError('rate_limit_exceeded', `Too many requests: at most ${context.max} a minute. Retry after ${context.after}.`),
  });

  registerEmbedRoutes(app, platform);
}
