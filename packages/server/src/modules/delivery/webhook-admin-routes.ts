import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../../lib/errors.ts';
import { adminSchema, PRINTABLE } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { getPartner } from '../partners/partner-service.ts';
import { enableWebhookEndpoint, replayDelivery, replayFailed, sendTestEvent, webhookEndpointHealth } from './delivery-operations.ts';
import { DELIVERY_STATUSES, type DeliveryStatus } from './delivery-status.ts';
import { getDelivery, listDeliveries } from './delivery-store.ts';
import { DEFAULT_SECRET_GRACE_MS, MAX_SECRET_GRACE_MS, rotateWebhookSecret } from './webhook-secret.ts';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: PRINTABLE });

/** Webhook deliveries for the operator: list, inspect with every attempt, replay, send a test event. */
export function registerDeliveryAdminRoutes(app: FastifyInstance, platform: Platform): void {
  app.get<{ Querystring: { partner_id?: string; status?: DeliveryStatus; limit?: string } }>(
    '/admin/webhooks/deliveries',
    {
      schema: adminSchema('List webhook deliveries, newest first', {
        querystring: Type.Object(
          {
            partner_id: Type.Optional(Id),
            status: Type.Optional(Type.Enum(DELIVERY_STATUSES)),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
          },
          { additionalProperties: false },
        ),
      }),
    },
    async (request) => ({
      deliveries: await listDeliveries(platform.db, {
        partnerId: request.query.partner_id,
        status: request.query.status,
        limit: request.query.limit === undefined ? undefined : Number(request.query.limit),
      }),
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/admin/webhooks/deliveries/:id',
    { schema: adminSchema('Show a delivery with every attempt', { params: Type.Object({ id: Id }) }) },
    async (request) => {
      const delivery = await getDelivery(platform.db, request.params.id);
      if (!delivery) throw new ApiError('not_found', 'No such delivery.');
      return delivery;
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/webhooks/deliveries/:id/replay',
    { schema: adminSchema('Send a delivery again', { params: Type.Object({ id: Id }) }) },
    async (request) => {
      if (!(await getDelivery(platform.db, request.params.id))) throw new ApiError('not_found', 'No such delivery.');
      return { replayed: await replayDelivery(platform, request.params.id) };
    },
  );

  app.post<{ Body: { partner_id?: unknown } | undefined }>(
    '/admin/webhooks/replay-failed',
    { schema: adminSchema('Send every failed delivery again (of one partner, or all); body optional: {"partner_id"}') },
    async (request) => {
      // The body is optional, so it is checked here rather than by a schema that would demand one.
      const body = request.body;
      if (
        body !== undefined &&
        (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).some((key) => key !== 'partner_id'))
      ) {
        throw new ApiError('validation_error', 'The body, when sent, is {"partner_id": "…"}.', {
          details: [{ field: 'body', issue: 'must be an object with partner_id only' }],
        });
      }
      const partnerId = body?.partner_id;
      if (partnerId !== undefined && (typeof partnerId !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(partnerId))) {
        throw new ApiError('validation_error', 'partner_id must be a partner id.', {
          details: [{ field: 'partner_id', issue: 'must be a partner id' }],
        });
      }
      return { replayed: await replayFailed(platform, partnerId) };
    },
  );

  app.post<{ Params: { id: string }; Body: { grace_seconds?: unknown } | undefined }>(
    '/admin/partners/:id/webhook-secret/rotate',
    {
      schema: adminSchema(
        'Issue a new webhook signing secret (answered once); the old one also signs for grace_seconds (default 24 h, 0 ends it at once). Body optional: {"grace_seconds"}',
        { params: Type.Object({ id: Id }) },
      ),
    },
    async (request) => {
      // The body is optional, so it is checked here rather than by a schema that would demand one.
      const body = request.body;
      if (
        body !== undefined &&
        (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).some((key) => key !== 'grace_seconds'))
      ) {
        throw new ApiError('validation_error', 'The body, when sent, is {"grace_seconds": …}.', {
          details: [{ field: 'body', issue: 'must be an object with grace_seconds only' }],
        });
      }
      const graceSeconds = body?.grace_seconds;
      if (
        graceSeconds !== undefined &&
        (!Number.isSafeInteger(graceSeconds) || (graceSeconds as number) < 0 || (graceSeconds as number) * 1000 > MAX_SECRET_GRACE_MS)
      ) {
        const issue = `must be a whole number of seconds from 0 to ${MAX_SECRET_GRACE_MS / 1000} (90 days)`;
        throw new ApiError('validation_error', `grace_seconds ${issue}.`, { details: [{ field: 'grace_seconds', issue }] });
      }
      const graceMs = graceSeconds === undefined ? DEFAULT_SECRET_GRACE_MS : (graceSeconds as number) * 1000;
      const rotated = await rotateWebhookSecret(platform, request.params.id, graceMs);
      if (!rotated) throw new ApiError('not_found', `No partner ${request.params.id}.`);
      return rotated;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/admin/partners/:id/webhook',
    {
      schema: adminSchema(
        "The partner's webhook endpoint and its health: disabled, disabled_reason (failing | gone), disabled_at, failing_since, and how many messages are pending",
        { params: Type.Object({ id: Id }) },
      ),
    },
    async (request) => {
      await getPartner(platform, request.params.id);
      const health = await webhookEndpointHealth(platform, request.params.id);
      if (!health) throw new ApiError('not_found', `No partner ${request.params.id}.`);
      return health;
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/partners/:id/webhook/enable',
    {
      schema: adminSchema(
        "Enable the partner's disabled webhook endpoint: the messages kept while it was disabled are sent, in order (released: how many)",
        { params: Type.Object({ id: Id }) },
      ),
    },
    async (request) => {
      await getPartner(platform, request.params.id);
      const enabled = await enableWebhookEndpoint(platform, request.params.id);
      if (!enabled) throw new ApiError('not_found', `No partner ${request.params.id}.`);
      return enabled;
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/partners/:id/webhooks/test',
    { schema: adminSchema("Send a signed test event to the partner's webhook URL", { params: Type.Object({ id: Id }) }) },
    async (request, reply) => {
      await getPartner(platform, request.params.id);
      const deliveryId = await sendTestEvent(platform, request.params.id);
      if (!deliveryId)
        throw new ApiError('validation_error', 'The partner has no webhook URL.', {
          details: [{ field: 'webhook_url', issue: 'is not set' }],
        });
      reply.status(202);
      return { delivery_id: deliveryId };
    },
  );
}
