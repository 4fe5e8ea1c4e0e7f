import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { PRINTABLE, adminSchema } from '../../lib/route-schemas.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import type { PartnerInput } from './partner-config.ts';
import { localPartnerOperations } from './partner-operations.ts';

const Strings = Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 200 });
const PartnerBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    contact_email: Type.Optional(Type.String({ maxLength: 254 })),
    origins: Type.Optional(Strings),
    ip_allowlist: Type.Optional(Strings),
    partner_type: Type.Optional(Type.String({ maxLength: 50 })),
    assets: Type.Optional(
      Type.Array(
        Type.Object(
          {
            currency: Type.String({ maxLength: 16 }),
            network: Type.String({ maxLength: 16 }),
            address: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])),
            is_default: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
    fiat_currencies: Type.Optional(Strings),
    default_fiat: Type.Optional(Type.String({ maxLength: 8 })),
    sell: Type.Optional(Type.Boolean()),
    sell_fiat_currencies: Type.Optional(Strings),
    widget: Type.Optional(
      Type.Object(
        {
          type: Type.Optional(Type.String({ maxLength: 8 })),
          lang: Type.Optional(Type.String({ maxLength: 8 })),
          theme: Type.Optional(Type.String({ maxLength: 8 })),
          redirect_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    ),
    fees: Type.Optional(
      Type.Object(
        { percent: Type.Optional(Type.String({ maxLength: 16 })), fixed: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 32 }))) },
        { additionalProperties: false },
      ),
    ),
    limits: Type.Optional(Type.Record(Type.String(), Type.Object({ min: Type.String({ maxLength: 32 }), max: Type.String({ maxLength: 32 }) }))),
    webhook_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
    allow_partner_address: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
// NUL cannot reach a PostgreSQL text comparison: refused here as bad input rather than failing in the query.
const IdParams = Type.Object({ id: Type.String({ maxLength: 64, pattern: PRINTABLE }) });


/** Partner management under /admin (the admin plugin guards it): the same operations as `proof partners`. */
export function registerPartnerAdminRoutes(app: FastifyInstance, platform: Platform): void {
  const operations = localPartnerOperations(platform);

  app.post<{ Body: PartnerInput }>('/admin/partners', { schema: adminSchema('Create a partner', { body: PartnerBody }) }, async (request, reply) => {
    reply.status(201);
    return operations.create(request.body);
  });
  app.get('/admin/partners', { schema: adminSchema('List partners') }, async () => ({ partners: await operations.list() }));
  app.get<{ Params: { id: string } }>('/admin/partners/:id', { schema: adminSchema('Show a partner', { params: IdParams }) }, async (request) =>
    operations.show(request.params.id),
  );
  app.patch<{ Params: { id: string }; Body: PartnerInput }>(
    '/admin/partners/:id',
    { schema: adminSchema('Update a partner', { params: IdParams, body: PartnerBody }) },
    async (request) => operations.update(request.params.id, request.body),
  );
  app.post<{ Params: { id: string }; Body: { grace_seconds?: unknown } | undefined }>(
    '/admin/partners/:id/rotate-token',
    { schema: adminSchema('Issue a new client token; older ones stay valid for grace_seconds (default TOKEN_ROTATION_GRACE)', { params: IdParams }) },
    async (request) => {
      // The body is optional, so it is checked here rather than by a schema that would demand one.
      const graceSeconds = request.body?.grace_seconds;
      if (graceSeconds !== undefined && (!Number.isSafeInteger(graceSeconds) || (graceSeconds as number) < 0 || (graceSeconds as number) > 90 * 86400)) {
        throw new ConfigurationError('grace_seconds', 'must be a whole number of seconds from 0 to 7776000 (90 days)');
      }
      return operations.rotateToken(request.params.id, graceSeconds === undefined ? undefined : (graceSeconds as number) * 1000);
    },
  );
  for (const [action, status] of [['disable', 'disabled'], ['enable', 'active']] as const) {
    app.post<{ Params: { id: string } }>(`/admin/partners/:id/${action}`, { schema: adminSchema(`${action} a partner`, { params: IdParams }) }, async (request) =>
      operations.setStatus(request.params.id, status),
    );
  }
}
