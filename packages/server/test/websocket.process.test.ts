import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WEBSOCKET_PROCESS_NICENESS } from '../src/http/ws-process.ts';
import { alive, childPids, connectionOwner } from './helpers/proc-sockets.ts';
import { type CreatedPartner, childDatabase, createPartner, type ProofChild, startProofServe, waitUntil } from './helpers/proof-child.ts';
import { ADMIN_TOKEN, request, sessionBody } from './helpers/test-platform.ts';

/**
 * WS_PROCESS=separate (the default on PostgreSQL): `proof serve` hands every /ws upgrade to a child
 * process, so broadcasts run on an event loop apart from the API's. Seen from outside nothing
 * changes: the same upgrade, authentication, snapshot, updates and close codes, the same /metrics.
 */

interface Subscription {
  socket: WebSocket;
  messages: any[];
  opened: Promise<void>;
  closed: Promise<number>;
}

function subscribe(node: ProofChild, query: string, token: string): Subscription {
  const socket = new WebSocket(`${node.url.replace('http', 'ws')}/ws?${query}`, { headers: { authorization: `Bearer ${token}` } });
  const messages: any[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  socket.on('error', () => {});
  return {
    socket,
    messages,
    opened: new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    }),
    closed: new Promise((resolve) => socket.once('close', (code) => resolve(code))),
  };
}

/** The answer to a WebSocket upgrade that is refused before any WebSocket exists: its status, headers and JSON body. */
function refusedUpgrade(
  node: ProofChild,
  query: string,
  token: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: any }> {
  return new Promise((resolve, reject) => {
    const upgrade = httpRequest(`${node.url}/ws?${query}`, {
      headers: {
        authorization: `Bearer ${token}`,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    upgrade.once('upgrade', (_response, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was accepted'));
    });
    upgrade.once('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk));
      response.once('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: JSON.parse(text) }));
    });
    upgrade.once('error', reject);
    // Handed to a child that died before the node saw it go, a connection gets no answer at all (the
    // client's own timeout ends it): give up on it and try again.
    upgrade.setTimeout(1_000, () => upgrade.destroy(new Error('no answer within 1 s')));
    upgrade.end();
  });
}

describe.skipIf(process.env.PROOF_TEST_DB !== 'postgres')('WebSockets served by a process of their own', () => {
  let node: ProofChild;
  let partner: CreatedPartner;
  let dataDir: string;
  let drop: () => Promise<void> = async () => {};

  const newSession = async (user: string) => {
    const session = await request(`${node.url}/widget/session`, {
      token: partner.client_token,
      body: sessionBody({ partner_user_id: user, user_email: `${user}@example.com` }),
    });
    expect(session.status).toBe(200);
    return session.body.merchant_transaction_id as string;
  };
  const move = (id: string, status: string) =>
    request(`${node.url}/admin/sandbox/transactions/${id}/status`, { token: ADMIN_TOKEN, body: { status } });
  const connectionsMetric = async () => {
    const scraped = await request(`${node.url}/metrics`, { token: ADMIN_TOKEN });
    return Number(/^proof_websocket_connections (\d+)$/m.exec(String(scraped.body))?.[1]);
  };
  const webSocketPid = () => childPids(node.process.pid!).find(alive);

  beforeAll(async () => {
    const database = await childDatabase();
    drop = database.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'proof-ws-process-'));
    node = await startProofServe({
      ...database.env,
      DATA_DIR: dataDir,
      SANDBOX_TOOLS: 'true',
      RATE_LIMIT_PER_MINUTE: '100000',
      WS_PING_INTERVAL: '100ms',
    });
    partner = await createPartner(node.url, 'http://127.0.0.1:9/hooks');
  }, 90_000);

  afterAll(async () => {
    await node?.kill();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('serves a subscription from the child: current state, updates, the terminal close, counted on the node’s /metrics', async () => {
    const child = webSocketPid();
    expect(child).toBeGreaterThan(0);
    // It yields the CPU to the API's process when both want it (nice is the stat line's 19th field),
    // every one of its threads: V8's, which collect its garbage, as well as the main one.
    const niceness = (pid: number, thread = pid) =>
      Number(readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const threads = readdirSync(`/proc/${child}/task`).map(Number);
    expect(threads.length).toBeGreaterThan(1);
    for (const thread of threads) expect(niceness(child!, thread) - niceness(node.process.pid!)).toBe(WEBSOCKET_PROCESS_NICENESS);
    const id = await newSession('ws-process-user');
    const subscription = subscribe(node, `tx_id=${id}`, partner.client_token);
    await subscription.opened;
    await waitUntil(
      () => subscription.messages.length === 1,
      10_000,
      () => JSON.stringify(subscription.messages),
    );
    expect(subscription.messages[0]).toMatchObject({ event: 'tx.update', merchant_transaction_id: id, status: 'pending' });

    // The connection is held by the child: the node passed it on and kept no copy.
    const clientPort = (subscription.socket as unknown as { _socket: { localPort: number } })._socket.localPort;
    expect(connectionOwner(node.port, clientPort, [node.process.pid!, child!])).toBe(child);
    await waitUntil(
      async () => (await connectionsMetric()) === 1,
      10_000,
      () => 'proof_websocket_connections never reached 1',
    );

    expect((await move(id, 'processing')).status).toBe(200);
    expect((await move(id, 'completed')).status).toBe(200);
    expect(await subscription.closed).toBe(1000);
    expect(subscription.messages.map((message) => message.status)).toEqual(['pending', 'processing', 'completed']);
    await waitUntil(
      async () => (await connectionsMetric()) === 0,
      10_000,
      () => 'proof_websocket_connections never went back to 0',
    );
  });

  it('refuses there as it would inline: a wrong token gets 4401, an unknown transaction 4404', async () => {
    const wrongToken = subscribe(node, 'tx_id=whatever', 'ct_not-a-token');
    expect(await wrongToken.closed).toBe(4401);
    const unknown = subscribe(node, 'tx_id=no-such-transaction', partner.client_token);
    expect(await unknown.closed).toBe(4404);
    // Other requests are still the node's own.
    expect((await request(`${node.url}/healthz`)).status).toBe(200);
  });

  it('starts the child again when it dies alone; its subscribers reconnect and are served by the new one', async () => {
    const first = webSocketPid()!;
    const id = await newSession('ws-restart-user');
    const before = subscribe(node, `tx_id=${id}`, partner.client_token);
    await before.opened;
    process.kill(first, 'SIGKILL');
    expect(await before.closed).toBe(1006);
    // Until the new child is ready (a second's wait, then its start), an upgrade is answered 503 in the
    // documented error shape (clients retry); then it is served again. The node may take a moment to see
    // the child gone: a connection it handed over meanwhile is dropped, and the next try is answered.
    let refused: Awaited<ReturnType<typeof refusedUpgrade>> | null = null;
    await waitUntil(
      async () => (refused = await refusedUpgrade(node, `tx_id=${id}`, partner.client_token).catch(() => null)) !== null,
      5_000,
      () => 'no answer to an upgrade while the WebSocket process restarts',
      20,
    );
    expect(refused!.status).toBe(503);
    expect(refused!.headers['retry-after']).toBe('1');
    expect(refused!.body).toEqual({
      error: 'unavailable',
      code: 'service_unavailable',
      message: expect.stringContaining('restarting'),
      request_id: refused!.headers['x-request-id'],
    });
    await waitUntil(
      () => {
        const pid = webSocketPid();
        return pid !== undefined && pid !== first;
      },
      30_000,
      () => `no new WebSocket process:\n${node.output()}`,
    );
    let after: Subscription | null = null;
    await waitUntil(
      async () => {
        const attempt = subscribe(node, `tx_id=${id}`, partner.client_token);
        const opened = await attempt.opened.then(
          () => true,
          () => false,
        );
        if (opened) after = attempt;
        return opened;
      },
      30_000,
      () => 'the restarted WebSocket process never took a subscription',
      250,
    );
    await waitUntil(
      () => after!.messages.length === 1,
      10_000,
      () => JSON.stringify(after!.messages),
    );
    expect(after!.messages[0]).toMatchObject({ merchant_transaction_id: id, status: 'pending' });
    after!.socket.close();
    expect(node.process.exitCode).toBeNull();
  }, 60_000);

  it('keeps the node’s sandbox clock: an old token’s grace ends when the node’s clock moves past it, and its socket closes 4401', async () => {
    const id = await newSession('ws-clock-user');
    const old = subscribe(node, `tx_id=${id}`, partner.client_token);
    await old.opened;
    const rotated = await request(`${node.url}/admin/partners/${partner.partner_id}/rotate-token`, {
      token: ADMIN_TOKEN,
      body: { grace_seconds: 3600 },
    });
    expect(rotated.status).toBe(200);
    partner.client_token = rotated.body.client_token;
    // Within the grace period it stays open: each ping comes right after the token was checked again.
    await new Promise<void>((resolve) => {
      let pings = 0;
      old.socket.on('ping', () => {
        if (++pings === 3) resolve();
      });
    });
    expect(old.socket.readyState).toBe(WebSocket.OPEN);
    const moved = await request(`${node.url}/admin/sandbox/clock`, { token: ADMIN_TOKEN, body: { advance_seconds: 3601 } });
    expect(moved.status).toBe(200);
    expect(await old.closed).toBe(4401);
  });

  it('goes with the node: a node killed outright leaves no WebSocket process behind', async () => {
    const child = webSocketPid()!;
    expect(alive(child)).toBe(true);
    await node.kill();
    await waitUntil(
      () => !alive(child),
      10_000,
      () => `WebSocket process ${child} outlived its node`,
    );
  });
});
