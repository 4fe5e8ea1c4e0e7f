import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { forgetCachedTokens } from '../src/modules/partners/token-cache.ts';
import { startTestServer, type PartnerCredentials, type TestServer } from './helpers/test-platform.ts';

/**
 * Regression: a client that disconnected while its upgrade was still being authenticated kept a
 * connection slot of its token for good (its close event had passed before the slot was counted), so
 * enough of them locked the partner out of /ws with 4429 until a restart.
 */
describe('WebSocket connection slots', () => {
  let server: TestServer;
  let partner: PartnerCredentials;

  beforeAll(async () => {
    server = await startTestServer({ env: { WS_MAX_CONNECTIONS_PER_TOKEN: '1' } });
    partner = await server.createPartner();
  });
  afterAll(async () => {
    await server.close();
  });

  const connect = () => {
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws?user_id=nobody`, { headers: { authorization: `Bearer ${partner.client_token}` } });
    socket.on('error', () => {});
    return socket;
  };
  const openConnections = () => new Promise<number>((resolve, reject) => server.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

  it('a client gone during authentication gives its slot back', async () => {
    forgetCachedTokens(server.platform); // authentication has to read the database…
    let release!: () => void;
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // …which waits here until the client is gone.
    const lock = server.platform.db.transaction().execute(async (trx) => {
      await sql`lock table partner_tokens in access exclusive mode`.execute(trx);
      locked();
      await holding;
    });
    await isLocked;
    const quitter = connect();
    await new Promise<void>((resolve) => quitter.on('upgrade', () => resolve()));
    quitter.terminate();
    const deadline = Date.now() + 5_000;
    while ((await openConnections()) > 0) {
      if (Date.now() > deadline) throw new Error('the server kept the connection');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    release();
    await lock;

    // With the slot leaked, this one was refused with 4429; the user is unknown, so 4404 is the right answer.
    const next = connect();
    const code = await new Promise<number>((resolve) => next.on('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(4404);
  });
});
