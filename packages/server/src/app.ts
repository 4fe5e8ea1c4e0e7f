import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { adminApi } from './http/admin-api.ts';
import { embedApi } from './http/embed-api.ts';
import { answerClientError, handleFrameworkError, installErrorHandling } from './http/error-handler.ts';
import { FailedAuthThrottle } from './http/failed-auth-throttle.ts';
import { installJsonBodyParser } from './http/json-body.ts';
import { metricsApi } from './http/metrics-api.ts';
import { openapiDocument } from './http/openapi-document.ts';
import { partnerApi } from './http/partner-api.ts';
import { refuseRepeatedAuthorization } from './http/repeated-authorization.ts';
import { registerWebSocket } from './http/websocket-api.ts';
import type { WebSocketProcess } from './http/ws-process.ts';
import { ApiError } from './lib/errors.ts';
import { randomBase62 } from './lib/ids.ts';
import { registerCallbackRoutes } from './modules/callbacks/callback-routes.ts';
import { rateLimitStoreFor } from './modules/limits/rate-limit-store-for.ts';
import { followAccessChanges } from './modules/partners/token-cache.ts';
import { registerWidgetAssetRoutes } from './modules/widget-assets/widget-asset-routes.ts';
import type { Platform } from './platform.ts';
import { callbackSources } from './providers.ts';

export interface AppOptions {
  /**
   * Where WebSocket upgrades go: handed to the WebSocket process (http/ws-process.ts) when given,
   * else served here.
   */
  webSockets?: Pick<WebSocketProcess, 'forward'>;
}

/** Builds the HTTP server from the platform's modules; listening is the caller's business. */
export async function buildApp(platform: Platform, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: platform.logger as FastifyBaseLogger,
    genReqId: () => `req_${randomBase62(20)}`,
    requestIdHeader: false,
    bodyLimit: platform.config.bodyLimitBytes,
    requestTimeout: platform.config.requestTimeoutMs,
    connectionTimeout: platform.config.connectionTimeoutMs,
    // Node checks the two timeouts on this interval (30 s by default, which would double a short one).
    http: { headersTimeout: platform.config.headersTimeoutMs, connectionsCheckingInterval: 1_000 },
    clientErrorHandler: answerClientError,
    trustProxy: fastifyTrustProxy(platform.config.trustProxy),
    routerOptions: { maxParamLength: 200 },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true, useDefaults: false } },
    frameworkErrors: handleFrameworkError,
  });
  // Bodies are JSON only: without this, Fastify's built-in text/plain parser would turn a text body
  // into a string and answer 400 instead of the documented 415 unsupported_media_type.
  app.removeContentTypeParser('text/plain');
  installJsonBodyParser(app);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Every answer is what it says it is (no MIME sniffing), and API answers, which carry init tokens,
    // client tokens and webhook secrets, are never stored by a browser or a proxy.
    reply.header('x-content-type-options', 'nosniff');
    if (request.url.startsWith('/widget/') || request.url.startsWith('/admin/')) reply.header('cache-control', 'no-store');
    // JSON is UTF-8 (RFC 8259); a body declared in another charset would be misread, so it is refused.
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      throw new ApiError('unsupported_media_type', 'Send the body as application/json in UTF-8.');
    }
    refuseRepeatedAuthorization(request.raw);
  });
  // Node hands an upgrade request's socket over and no longer manages it: one answered over HTTP
  // instead (refused before it reached /ws, or sent to another path) is closed here, or it stays open.
  app.addHook('onResponse', async (request) => {
    if ((request.raw as { upgrade?: boolean }).upgrade) request.raw.socket.destroy();
  });
  // By route pattern, never the URL (ids would make a series per transaction); unmatched paths share one.
  app.addHook('onResponse', async (request, reply) => {
    platform.metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  installErrorHandling(app);
  const routes = collectRoutes(app);

  await app.register(swagger, {
    openapi: openapiDocument,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // A CSP with the hashes of the UI's own inline code; without upgrade-insecure-requests, which
    // would break the reference on a plain-HTTP development server.
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['operations'] } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: the database answers', tags: ['operations'] } }, async (_request, reply) => {
    if (await platform.dbReadiness.isReady(() => sql`select 1`.execute(platform.db))) return { status: 'ready' };
    return reply.status(503).send({ status: 'unavailable' });
  });

  // Rate limits and the failed-authentication throttle count here: in Redis when REDIS_URL is set, else
  // on PostgreSQL in one table every node shares, on the embedded database (one process) in memory.
  const { redisUrl, redisKeyPrefix } = platform.config;
  const limits = await rateLimitStoreFor({
    dbKind: platform.dbKind,
    db: platform.db,
    redis: redisUrl === undefined ? undefined : { url: redisUrl, keyPrefix: `${redisKeyPrefix}limit:` },
    logger: platform.logger,
    onPurgeError: (error) => platform.logger.warn({ err: error }, 'rate limits: could not delete ended windows'),
  });
  app.addHook('onClose', async () => limits.close());
  // Failed authentications count the same whether they come over HTTP, as a WebSocket upgrade or to /admin.
  const throttle = new FailedAuthThrottle({
    clock: platform.clock,
    store: limits,
    logger: platform.logger,
    keySecret: platform.keys.rateLimitKeys,
  });
  // Before the WebSocket hub subscribes: on an access change the cache is cleared first, so the
  // hub's re-check of open sockets reads the database.
  const stopFollowing = followAccessChanges(platform);
  app.addHook('onClose', async () => stopFollowing());
  const { webSockets } = options;
  if (webSockets) {
    // Every upgrade, whatever its path: the other process answers it as this one would.
    app.server.on('upgrade', (request, socket, head) => webSockets.forward(request, socket, head));
  } else {
    await app.register(async (scope) => {
      const unsubscribe = await registerWebSocket(scope, platform, throttle);
      scope.addHook('onClose', async () => unsubscribe());
    });
  }
  await app.register(async (scope) => partnerApi(scope, platform, throttle, limits));
  await app.register(async (scope) => adminApi(scope, platform, throttle));
  await app.register(async (scope) => metricsApi(scope, platform, throttle));
  // Under its own prefix: its CORS preflight route (OPTIONS *) is then its own, apart from /widget's.
  await app.register(async (scope) => embedApi(scope, platform, throttle, limits), { prefix: '/embed/v1' });
  // The loader script and the iframe page, outside the embed API's scope: no credential, CORS or rate limit of its own.
  registerWidgetAssetRoutes(app, platform);
  registerCallbackRoutes(app, platform, callbackSources(platform.providers));
  answerOtherMethods(app, routes);
  return app;
}

/** A hop count as Fastify's trust function: the socket's peer is hop 0, each proxy adds one. */
function fastifyTrustProxy(setting: Platform['config']['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  return (_address, hop) => hop < setting;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The methods each path is served for, as routes are added (wildcard paths excepted). */
function collectRoutes(app: FastifyInstance): Map<string, Set<string>> {
  const routes = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    if (route.url.includes('*')) return;
    const methods = routes.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    routes.set(route.url, methods);
  });
  return routes;
}

/** A known path asked with a method it does not take answers 405 with Allow, not 404 (RFC 9110 §15.5.6). */
function answerOtherMethods(app: FastifyInstance, routes: Map<string, Set<string>>): void {
  for (const [url, served] of routes) {
    const others = METHODS.filter((method) => !served.has(method) && !app.hasRoute({ method, url }));
    if (others.length === 0) continue;
    const allow = METHODS.filter((method) => served.has(method)).join(', ');
    app.route({
      method: others,
      url,
      schema: { hide: true },
      handler: async (request) => {
        throw new ApiError('method_not_allowed', `${request.method} is not supported here; use ${allow}.`, { headers: { allow } });
      },
    });
  }
}
