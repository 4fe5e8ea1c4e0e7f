import type { FastifyInstance, FastifyRequest } from 'fastify';
import { safeEqual, sha256Hex } from '../lib/crypto.ts';
import { ApiError, ConfigurationError } from '../lib/errors.ts';
import { registerDeliveryAdminRoutes } from '../modules/delivery/webhook-admin-routes.ts';
import { registerPartnerAdminRoutes } from '../modules/partners/partner-admin-routes.ts';
import { PartnerNotFoundError } from '../modules/partners/partner-service.ts';
import { registerDepositAdminRoutes } from '../modules/settlement/off-ramp-service.ts';
import { registerSandboxChainRoutes } from '../modules/settlement/sandbox-chain-routes.ts';
import { registerSettlementAdminRoutes } from '../modules/settlement/settlement-admin-routes.ts';
import { IllegalTransitionError } from '../modules/transactions/change-status.ts';
import { registerSandboxRoutes } from '../modules/transactions/sandbox-routes.ts';
import type { Platform } from '../platform.ts';
import { sendError } from './error-handler.ts';
import type { FailedAuthThrottle } from './failed-auth-throttle.ts';

/**
 * The operator's API under /admin, guarded by ADMIN_TOKEN (compared in constant time) behind the
 * failed-authentication throttle the partner API uses, so guessing the admin token is rationed too.
 */
export async function adminApi(app: FastifyInstance, platform: Platform, throttle: FailedAuthThrottle): Promise<void> {
  app.addHook('onRequest', requireAdminToken(platform, throttle));
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ConfigurationError) {
      return sendError(
        request,
        reply,
        new ApiError('validation_error', error.message, { details: [{ field: error.field, issue: error.issue }] }),
      );
    }
    if (error instanceof PartnerNotFoundError) return sendError(request, reply, new ApiError('not_found', error.message));
    if (error instanceof IllegalTransitionError) return sendError(request, reply, new ApiError('illegal_transition', error.message));
    throw error;
  });
  registerPartnerAdminRoutes(app, platform);
  registerDeliveryAdminRoutes(app, platform);
  registerDepositAdminRoutes(app, platform);
  registerSettlementAdminRoutes(app, platform);
  if (platform.config.sandboxTools) {
    registerSandboxRoutes(app, platform);
    registerSandboxChainRoutes(app, platform);
  }
}

/** The onRequest hook of everything the admin token opens (the /admin API, and /metrics when it has no port of its own). */
export function requireAdminToken(platform: Platform, throttle: FailedAuthThrottle): (request: FastifyRequest) => Promise<void> {
  const adminToken = platform.config.adminToken;
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === '')
      throw new ApiError('missing_token', 'Send the admin token as "Authorization: Bearer <ADMIN_TOKEN>".');
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
    await throttle.guard(request.ip, presented === null ? null : sha256Hex(presented), async () => {
      if (presented === null || !adminToken || !safeEqual(presented, adminToken)) {
        throw new ApiError('invalid_token', 'The admin token is not valid.');
      }
    });
  };
}
