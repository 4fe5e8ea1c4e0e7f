import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errorResponses, partnerSchema } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { createSession } from './create-session.ts';
import { type CreateSessionBody, SessionRequestSchema, SessionResponseSchema } from './session-schemas.ts';

export function registerSessionRoutes(app: FastifyInstance, platform: Platform): void {
  app.post<{ Body: CreateSessionBody; Headers: { 'idempotency-key'?: string } }>(
    '/widget/session',
    {
      schema: partnerSchema('Create a widget session', {
        description: 'Creates one transaction and returns every parameter the widget needs, ready for proofWidget.run().',
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ description: '1–255 printable ASCII characters; kept 24 h.' })),
        }),
        body: SessionRequestSchema,
        response: { 200: SessionResponseSchema, ...errorResponses(400, 401, 403, 409, 413, 415, 429, 502) },
      }),
    },
    async (request, reply) => {
      const outcome = await createSession(platform, {
        partner: request.partner!,
        body: request.body,
        fromBrowser: request.headers.origin !== undefined,
        idempotencyKey: request.headers['idempotency-key'],
      });
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return outcome.response;
    },
  );
}
