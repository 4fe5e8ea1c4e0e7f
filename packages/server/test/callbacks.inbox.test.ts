import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandling } from '../src/http/error-handler.ts';
import { registerCallbackRoutes } from '../src/modules/callbacks/callback-routes.ts';
import { CallbackWorker } from '../src/modules/callbacks/callback-worker.ts';
import { CallbackRejectedError, type CallbackSource, type InboundEvent } from '../src/modules/callbacks/inbound-event.ts';
import { expectError, request } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * The inbox of provider callbacks over real HTTP, with a provider of the test's own: a callback is
 * verified on its raw bytes, stored once per event id, acknowledged at once and applied afterwards by
 * the worker, once, however often and however concurrently the provider sends it.
 */

const KEY = Buffer.from('fake provider callback key');

/** A provider that signs its JSON callbacks with an HMAC in `x-fake-signature`. */
const fakeProvider: CallbackSource = {
  name: 'fake-provider',
  verifyCallback({ rawBody, headers }) {
    const expected = createHmac('sha256', KEY).update(rawBody).digest();
    const given = Buffer.from(headers['x-fake-signature'] ?? '', 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new CallbackRejectedError('bad signature');
    const body = JSON.parse(rawBody.toString('utf8')) as { id: string; type: string; subject: string };
    return { kind: `fake.${body.type}`, eventId: body.id, subject: body.subject };
  },
};

function signed(body: Record<string, unknown>): { raw: string; signature: string } {
  const raw = JSON.stringify(body);
  return { raw, signature: createHmac('sha256', KEY).update(raw).digest('hex') };
}

describe('provider callbacks: verified, stored once, applied once', () => {
  const server = useServerWithPartner();
  let app: FastifyInstance;
  let url: string;
  const applied: InboundEvent[] = [];
  let failuresLeft = 0;
  let worker: CallbackWorker;

  beforeAll(async () => {
    // The route as the platform mounts it, in an app of its own so the test can give it its own provider.
    app = Fastify({ genReqId: () => `req_${Math.random().toString(36).slice(2)}` });
    app.addHook('onRequest', async (req, reply) => void reply.header('x-request-id', req.id));
    installErrorHandling(app);
    registerCallbackRoutes(app, server.platform, [fakeProvider]);
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/providers/fake-provider/callbacks`;
    worker = new CallbackWorker(server.platform, {
      'fake.captured': async (event) => {
        if (failuresLeft > 0) {
          failuresLeft--;
          throw new Error('the handler failed this time');
        }
        applied.push(event);
      },
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  const send = (body: Record<string, unknown>, signature?: string) => {
    const message = signed(body);
    return request(url, {
      rawBody: message.raw,
      headers: { 'content-type': 'application/json', 'x-fake-signature': signature ?? message.signature },
    });
  };
  const rows = (eventId: string) => server.platform.db.selectFrom('provider_events').selectAll().where('event_id', '=', eventId).execute();

  it('acknowledges a signed callback at once, stores it sealed, and the worker applies it once', async () => {
    const answer = await send({ id: 'evt_1', type: 'captured', subject: 'pay_1', secret_marker: 'MARKER-7731' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ received: true, duplicate: false });
    const [stored] = await rows('evt_1');
    expect(stored).toMatchObject({ provider: 'fake-provider', kind: 'fake.captured', status: 'pending', attempts: 0 });
    expect(stored!.event).toEqual({ kind: 'fake.captured', eventId: 'evt_1', subject: 'pay_1' });
    expect(JSON.stringify(stored)).not.toContain('MARKER-7731');
    expect(Buffer.from(server.platform.sealer.open(stored!.raw_enc), 'base64').toString()).toContain('MARKER-7731');

    expect(await worker.drain()).toBe(1);
    expect(applied.map((event) => event.eventId)).toEqual(['evt_1']);
    expect((await rows('evt_1'))[0]).toMatchObject({ status: 'applied', attempts: 1 });

    const again = await send({ id: 'evt_1', type: 'captured', subject: 'pay_1', secret_marker: 'MARKER-7731' });
    expect(again.body).toEqual({ received: true, duplicate: true });
    expect(await worker.drain()).toBe(0);
    expect(applied).toHaveLength(1);
  });

  it('100 concurrent deliveries of one event store one row, and it is applied once', async () => {
    applied.length = 0;
    const answers = await Promise.all(Array.from({ length: 100 }, () => send({ id: 'evt_burst', type: 'captured', subject: 'pay_2' })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(100).fill(200));
    expect(answers.filter((answer) => answer.body.duplicate === false)).toHaveLength(1);
    expect(await rows('evt_burst')).toHaveLength(1);
    await worker.drain();
    expect(applied.map((event) => event.eventId)).toEqual(['evt_burst']);
  });

  it('refuses a bad signature with 400 invalid_signature and stores nothing; an unknown provider is 404', async () => {
    const refused = await send({ id: 'evt_forged', type: 'captured', subject: 'pay_3' }, '00'.repeat(32));
    expectError(refused, 400, 'invalid_request', 'invalid_signature');
    expect(await rows('evt_forged')).toEqual([]);
    const unknown = await request(url.replace('fake-provider', 'nobody'), {
      rawBody: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expectError(unknown, 404, 'not_found', 'not_found');
  });

  it('retries a handler that fails, on a schedule, and gives up (dead) after the last retry', async () => {
    applied.length = 0;
    failuresLeft = 2;
    await send({ id: 'evt_retry', type: 'captured', subject: 'pay_4' });
    await worker.drain();
    expect((await rows('evt_retry'))[0]).toMatchObject({ status: 'pending', attempts: 1, last_error: 'the handler failed this time' });
    server.clock.advance(1_000);
    await worker.drain();
    expect((await rows('evt_retry'))[0]).toMatchObject({ status: 'pending', attempts: 2 });
    server.clock.advance(5_000);
    await worker.drain();
    expect((await rows('evt_retry'))[0]).toMatchObject({ status: 'applied', attempts: 3, last_error: null });
    expect(applied.map((event) => event.eventId)).toEqual(['evt_retry']);

    // An event nobody handles waits for a handler through every retry, then is given up on.
    await send({ id: 'evt_orphan', type: 'unknown', subject: 'x' });
    for (let round = 0; round < 12; round++) {
      await worker.drain();
      server.clock.advance(3_600_000);
    }
    expect((await rows('evt_orphan'))[0]).toMatchObject({ status: 'dead', attempts: 9, last_error: 'no handler for fake.unknown events' });
  });
});
