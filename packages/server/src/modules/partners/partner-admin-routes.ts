import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ConfigurationError } from '../../lib/errors.ts';
import { adminSchema, PRINTABLE } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { localPartnerOperations } from './partner-operations.ts';
import { type PartnerInput, PartnerInputSchema } from './partner-schemas.ts';

// NUL cannot reach a PostgreSQL text comparison: refused here as bad input rather than failing in the query.
const IdParams = Type.Object({ id: Type.String({ maxLength: 64, pattern: PRINTABLE }) });

/** Partner management under /admin (the admin plugin guards it): the same operations as `proof partners`. */
export function registerPartnerAdminRoutes(app: FastifyInstance, platform: Platform): void {
  const operations = localPartnerOperations(platform);

  app.post<{ Body: PartnerInput }>(
    '/admin/partners',
    { schema: adminSchema('Create a partner', { body: PartnerInputSchema }) },
    async (request, reply) => {
      reply.status(201);
      return operations.create(request.body);
    },
  );
  app.get('/admin/partners', { schema: adminSchema('List partners') }, async () => ({ partners: await operations.list() }));
  app.get<{ Params: { id: string } }>(
    '/admin/partners/:id',
    { schema: adminSchema('Show a partner', { params: IdParams }) },
    async (request) => operations.show(request.params.id),
  );
  app.patch<{ Params: { id: string }; Body: PartnerInput }>(
    '/admin/partners/:id',
    { schema: adminSchema('Update a partner', { params: IdParams, body: PartnerInputSchema }) },
    async (request) => operations.update(request.params.id, request.body),
  );
  app.post<{ Params: { id: string }; Body: { grace_seconds?: unknown } | undefined }>(
    '/admin/partners/:id/rotate-token',
    {
      schema: adminSchema('Issue a new client token; older ones stay valid for grace_seconds (default TOKEN_ROTATION_GRACE)', {
        params: IdParams,
      }),
    },
    async (request) => {
      // The body is optional, so it is checked here rather than by a schema that would demand one.
      const graceSeconds = request.body?.grace_seconds;
      if (
        graceSeconds !== undefined &&
        (!Number.isSafeInteger(graceSeconds) || (graceSeconds as number) < 0 || (graceSeconds as number) > 90 * 86400)
      ) {
        throw new ConfigurationError('grace_seconds', 'must be a whole number of seconds from 0 to 7776000 (90 days)');
      }
      return operations.rotateToken(request.params.id, graceSeconds === undefined ? undefined : (graceSeconds as number) * 1000);
    },
  );
  for (const [action, status] of [
    ['disable', 'disabled'],
    ['enable', 'active'],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/admin/partners/:id/${action}`,
      { schema: adminSchema(`${action} a partner`, { params: IdParams }) },
      async (request) => operations.setStatus(request.params.id, status),
    );
  }
}
