import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { buildApp } from '../../server/src/app.ts';
import { changeStatus } from '../../server/src/modules/transactions/change-status.ts';
import { sessionBody } from '../../server/test/helpers/test-platform.ts';
import { useServerWithPartner } from '../../server/test/helpers/use-server-with-partner.ts';
import { ProofRamp, ProofRampSubscriptionError, type SubscriptionOptions, type TransactionUpdate, type UpdateInfo } from '../src/index.ts';
import { moveStatus, waitFor } from './helpers.ts';

interface Seen {
  id: string;
  status: string;
  source: UpdateInfo['source'];
}

describe('subscribe: WebSocket with reconnect and polling fallback', () => {
  const server = useServerWithPartner({ env: { SANDBOX_TOOLS: 'true' } });
  let restarted: FastifyInstance | null = null;
  afterAll(async () => {
    await restarted?.close();
  });

  const sdk = (token = server.partner.client_token) => new ProofRamp({ baseUrl: server.url, clientToken: token, minPollIntervalMs: 0 });
  const newSession = async (user = 'sub-user') =>
    (await sdk().createSession(sessionBody({ partner_user_id: user }) as never)).merchant_transaction_id;
  /** Subscription options that record every update and error; fast reconnects and polls for tests. */
  const recorder = (seen: Seen[], errors: unknown[] = []): SubscriptionOptions => ({
    onUpdate: (update: TransactionUpdate, info: UpdateInfo) =>
      void seen.push({ id: update.merchant_transaction_id, status: update.status, source: info.source }),
    onError: (error) => void errors.push(error),
    pollIntervalMs: 50,
    reconnect: { baseDelayMs: 20, maxDelayMs: 100 },
  });

  it('delivers pending, processing and completed once each, then ends', async () => {
    const id = await newSession();
    const seen: Seen[] = [];
    const subscription = sdk().subscribe({ txId: id }, recorder(seen));
    await waitFor(() => seen.length === 1, 'the current state');
    await moveStatus(server, id, 'processing');
    await moveStatus(server, id, 'completed');
    expect(await subscription.done).toEqual({ reason: 'terminal' });
    expect(seen).toEqual([
      { id, status: 'pending', source: 'websocket' },
      { id, status: 'processing', source: 'websocket' },
      { id, status: 'completed', source: 'websocket' },
    ]);
  });

  it('ends at once on an already final transaction', async () => {
    const id = await newSession();
    await moveStatus(server, id, 'cancelled');
    const seen: Seen[] = [];
    expect(await sdk().subscribe({ txId: id }, recorder(seen)).done).toEqual({ reason: 'terminal' });
    expect(seen.map((s) => s.status)).toEqual(['cancelled']);
  });

  it('stops with a typed error on 4404 (unknown transaction) and 4401 (bad token)', async () => {
    const errors: unknown[] = [];
    const unknown = await sdk().subscribe({ txId: 'no-such-transaction' }, recorder([], errors)).done;
    expect(unknown.reason).toBe('error');
    expect(unknown.error).toBeInstanceOf(ProofRampSubscriptionError);
    expect(unknown.error).toMatchObject({ closeCode: 4404, status: 404, error: 'not_found', code: 'not_found' });
    expect(errors).toEqual([unknown.error]);

    const refused = await sdk('ct_not_a_real_token').subscribe({ userId: 'sub-user' }, recorder([], errors)).done;
    expect(refused.error).toMatchObject({ closeCode: 4401, status: 401, error: 'unauthorised', code: 'invalid_token' });
    expect(errors).toHaveLength(2);
  });

  it('close() and an aborted signal end a subscription', async () => {
    const id = await newSession();
    const seen: Seen[] = [];
    const subscription = sdk().subscribe({ txId: id }, recorder(seen));
    await waitFor(() => seen.length === 1, 'the current state');
    expect(await subscription.close()).toEqual({ reason: 'closed' });

    const controller = new AbortController();
    const aborted = sdk().subscribe({ userId: 'sub-user' }, { ...recorder([]), signal: controller.signal });
    controller.abort();
    expect(await aborted.done).toEqual({ reason: 'closed' });
  });

  it('falls back to polling while the WebSocket is refused', async () => {
    const id = await newSession();
    const seen: Seen[] = [];
    server.platform.config.wsMaxConnectionsPerToken = 0; // every upgrade is closed with 4429: retry later
    try {
      const subscription = sdk().subscribe({ txId: id }, recorder(seen));
      await waitFor(() => seen.length === 1, 'a polled state');
      await moveStatus(server, id, 'processing');
      await waitFor(() => seen.length === 2, 'processing by polling');
      await moveStatus(server, id, 'failed');
      expect(await subscription.done).toEqual({ reason: 'terminal' });
    } finally {
      server.platform.config.wsMaxConnectionsPerToken = 100;
    }
    expect(seen).toEqual([
      { id, status: 'pending', source: 'poll' },
      { id, status: 'processing', source: 'poll' },
      { id, status: 'failed', source: 'poll' },
    ]);
  });

  it('reconnects after the server restarts and catches up on what changed meanwhile', async () => {
    const user = 'restart-user';
    const a = await newSession(user);
    const b = await newSession(user);
    const one: Seen[] = [];
    const all: Seen[] = [];
    const errors: unknown[] = [];
    const txSubscription = sdk().subscribe({ txId: a }, recorder(one, errors));
    const userSubscription = sdk().subscribe({ userId: user }, recorder(all, errors));
    await waitFor(() => one.length === 1 && all.length === 2, 'the current states');

    // The HTTP side goes away (sockets closed, port released); the platform and its database stay.
    const port = Number(new URL(server.url).port);
    await server.app.close();
    await changeStatus(server.platform, { partnerId: server.partner.partner_id, merchantTransactionId: a, to: 'processing' });
    restarted = await buildApp(server.platform);
    await restarted.listen({ host: '127.0.0.1', port });

    await waitFor(() => one.length === 2 && all.length === 3, 'the change made while the server was down');
    await moveStatus(server, b, 'cancelled');
    await moveStatus(server, a, 'completed');
    expect(await txSubscription.done).toEqual({ reason: 'terminal' });
    await waitFor(() => all.length === 5, 'the changes after the restart');
    await userSubscription.close();

    expect(one.map((s) => s.status)).toEqual(['pending', 'processing', 'completed']);
    // Every (transaction, status) once, although the reconnect re-sent b's pending state.
    expect(all.map((s) => `${s.id === a ? 'a' : 'b'}:${s.status}`).sort()).toEqual([
      'a:completed',
      'a:pending',
      'a:processing',
      'b:cancelled',
      'b:pending',
    ]);
    expect(all.filter((s) => s.id === a).map((s) => s.status)).toEqual(['pending', 'processing', 'completed']);
    expect(errors).toEqual([]);
  });

  it('replaces a connection that goes silent (no message, no ping)', async () => {
    // A peer that accepts the upgrade and then says nothing, like a half-open TCP connection.
    const http = createServer((_req, res) => res.writeHead(503).end());
    const silent = new WebSocketServer({ server: http });
    let connections = 0;
    silent.on('connection', () => void connections++);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const client = new ProofRamp({
        baseUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
        clientToken: 'ct_x',
        minPollIntervalMs: 0,
      });
      const subscription = client.subscribe({ txId: 'any' }, { ...recorder([]), heartbeatTimeoutMs: 100 });
      await waitFor(() => connections >= 3, 'reconnects after silent connections');
      expect(await subscription.close()).toEqual({ reason: 'closed' });
    } finally {
      for (const socket of silent.clients) socket.terminate();
      silent.close();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
