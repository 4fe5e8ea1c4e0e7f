import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { randomBase62 } from '../lib/ids.ts';
import { errorResponses } from '../lib/route-schemas.ts';
import type { Platform } from '../platform.ts';
import { requireAdminToken } from './admin-api.ts';
import { installErrorHandling } from './error-handler.ts';
import type { FailedAuthThrottle } from './failed-auth-throttle.ts';

/**
 * GET /metrics in Prometheus's text format (docs/operations.md). With METRICS_PORT set it is served
 * there alone, unauthenticated (scrapers on a private network; METRICS_HOST defaults to loopback)
 * and the main port does not serve it; otherwise it is on the main port behind the admin token,
 * with the admin API's failed-authentication throttle.
 */
export async function metricsApi(app: FastifyInstance, platform: Platform, throttle: FailedAuthThrottle): Promise<void> {
  if (platform.config.metricsPort !== undefined) return;
  app.addHook('onRequest', requireAdminToken(platform, throttle));
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text format 0.0.4), unless METRICS_PORT serves them on a port of their own',
        tags: ['operations'],
        security: [{ adminToken: [] }],
        response: errorResponses(401, 429),
      },
    },
    (_request, reply) => sendMetrics(platform, reply),
  );
}

/**
 * The server METRICS_PORT listens on: /metrics and nothing else (every other path answers 404 in the
 * documented error shape). Listening is the caller's business, as for the main server.
 */
export function buildMetricsServer(platform: Platform): FastifyInstance {
  const app = Fastify({ loggerInstance: platform.logger as FastifyBaseLogger, genReqId: () => `req_${randomBase62(20)}` });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandling(app);
  app.get('/metrics', (_request, reply) => sendMetrics(platform, reply));
  return app;
}

async function sendMetrics(platform: Platform, reply: FastifyReply): Promise<string> {
  const text = await platform.metrics.render();
  reply.header('content-type', platform.metrics.contentType).header('cache-control', 'no-store');
  return text;
}
