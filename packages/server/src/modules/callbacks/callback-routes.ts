import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../../lib/errors.ts';
import { errorResponses } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { CallbackRejectedError, type CallbackSource } from './inbound-event.ts';
import { insertInboundEvent } from './inbox-store.ts';

/** Provider callbacks are small; a larger body is not one. */
const CALLBACK_BODY_LIMIT = 256 * 1024;

const Acknowledged = Type.Object({
  received: Type.Literal(true),
  duplicate: Type.Boolean({ description: 'True when this event id was received before: nothing was stored again.' }),
});

/**
 * POST /providers/{name}/callbacks, one route for every adapter that calls back: the signature is
 * checked over the raw bytes by the adapter, the event is stored once (unique per provider and event
 * id) and acknowledged at once; the callbacks worker applies it afterwards. Nothing is applied
 * inside the request, so a slow or failing handler never makes the provider resend.
 */
export function registerCallbackRoutes(app: FastifyInstance, platform: Platform, sources: readonly CallbackSource[]): void {
  const byName = new Map(sources.map((source) => [source.name, source]));
  app.register(async (scope) => {
    // The signature is over the bytes as sent: the body stays a Buffer, whatever its declared type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: CALLBACK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { name: string } }>(
      '/providers/:name/callbacks',
      {
        schema: {
          summary: 'Provider callback (signed by the provider; not for partners)',
          tags: ['providers'],
          params: Type.Object({ name: Type.String({ maxLength: 64, pattern: '^[a-z0-9-]+$' }) }),
          response: { 200: Acknowledged, ...errorResponses(400, 404, 413) },
        },
      },
      async (request) => {
        const source = byName.get(request.params.name);
        if (!source) throw new ApiError('not_found', 'No such provider.');
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const headers = Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
        );
        let event: ReturnType<CallbackSource['verifyCallback']>;
        try {
          event = source.verifyCallback({ rawBody, headers });
        } catch (error) {
          if (!(error instanceof CallbackRejectedError)) throw error;
          request.log.warn({ provider: source.name, reason: error.message }, 'provider callback refused');
          throw new ApiError('invalid_signature', `The callback was refused: ${error.message}`);
        }
        const stored = await insertInboundEvent(platform.db, {
          provider: source.name,
          event,
          rawSealed: platform.sealer.seal(rawBody.toString('base64')),
          now: platform.clock.now(),
        });
        if (stored) platform.inboxNotifier.notify();
        return { received: true as const, duplicate: !stored };
      },
    );
  });
}
