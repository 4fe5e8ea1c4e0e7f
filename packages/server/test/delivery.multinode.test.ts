import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventChannel } from '../src/bootstrap.ts';
import { connectionOwner } from './helpers/proc-sockets.ts';
import {
  type CreatedPartner,
  childDatabase,
  createPartner,
  forEachLimited,
  type ProofChild,
  startProofServe,
  waitUntil,
} from './helpers/proof-child.ts';
import { ADMIN_TOKEN, request, sessionBody } from './helpers/test-platform.ts';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

/**
 * The production shape: two `proof serve` processes on one PostgreSQL schema. A WebSocket subscriber
 * on one node hears changes made on the other (LISTEN/NOTIFY), and the two nodes' webhook workers
 * share the outbox without ever sending the same delivery twice (leases, FOR UPDATE SKIP LOCKED).
 * The embedded database is one process by design, so this only runs on PostgreSQL.
 */

const TRANSACTIONS = 150; // × (processing, completed) = 300 status changes
const CONCURRENCY = 8;
const STEPS = ['processing', 'completed'] as const;

interface Socket {
  messages: any[];
  first: Promise<void>;
  closed: Promise<number>;
  /** Resolves once `count` messages have arrived. */
  received(count: number): Promise<void>;
  socket: WebSocket;
}

function subscribe(baseUrl: string, query: string, token: string): Socket {
  const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws?${query}`, { headers: { authorization: `Bearer ${token}` } });
  const messages: any[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const waiter of waiters.filter((w) => messages.length >= w.count)) waiter.resolve();
  });
  const received = (count: number) =>
    new Promise<void>((resolve, reject) => {
      if (messages.length >= count) return resolve();
      const timer = setTimeout(() => reject(new Error(`${messages.length} of ${count} messages: ${JSON.stringify(messages)}`)), 10_000);
      waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  return {
    messages,
    socket,
    first: received(1),
    closed: new Promise((resolve) => socket.on('close', (code) => resolve(code))),
    received,
  };
}

describe.skipIf(process.env.PROOF_TEST_DB !== 'postgres')('two proof serve nodes on one PostgreSQL schema', () => {
  const dataDirs: string[] = [];
  let env: Record<string, string>;
  let schema: string;
  let dropDatabase: () => Promise<void> = async () => {};
  let receiver: WebhookReceiver;
  const owners = new Map<number, number | null>(); // sender's local port → pid
  let nodes: ProofChild[] = [];
  let a: ProofChild;
  let b: ProofChild;
  let partner: CreatedPartner;

  const move = (node: ProofChild, id: string, status: string) =>
    request(`${node.url}/admin/sandbox/transactions/${id}/status`, { token: ADMIN_TOKEN, body: { status } });
  const newSession = async (node: ProofChild, user: string, owner = partner) => {
    const session = await request(`${node.url}/widget/session`, {
      token: owner.client_token,
      body: sessionBody({ partner_user_id: user, user_email: `${user}@example.com` }),
    });
    if (session.status !== 200) throw new Error(`session: ${session.status} ${JSON.stringify(session.body)}`);
    return session.body.merchant_transaction_id as string;
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    receiver.server.on('connection', (socket) => {
      owners.set(
        socket.remotePort!,
        connectionOwner(
          socket.remotePort!,
          socket.localPort!,
          nodes.map((node) => node.process.pid!),
        ),
      );
    });
    const database = await childDatabase();
    dropDatabase = database.drop;
    schema = database.schema!;
    env = {
      ...database.env,
      LOG_LEVEL: 'error',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      SANDBOX_TOOLS: 'true',
      WEBHOOK_POLL_INTERVAL: '50ms',
      RATE_LIMIT_PER_MINUTE: '1000000',
      // Far longer than any test: a node that forgets a token does so because it was told.
      AUTH_CACHE_TTL: '1h',
    };
    // Both nodes start at once, as a deployment rolls out: the migrations must not trip over each other.
    const starting = [0, 1].map(() => {
      const dataDir = mkdtempSync(join(tmpdir(), 'proof-node-'));
      dataDirs.push(dataDir);
      return startProofServe({ ...env, DATA_DIR: dataDir });
    });
    const started = await Promise.allSettled(starting);
    nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    [a, b] = nodes as [ProofChild, ProofChild];
    partner = await createPartner(a.url, `${receiver.url}/hooks`);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    await receiver?.close();
    await dropDatabase();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a WebSocket subscriber on node B hears a change made through node A, and the other way round', async () => {
    const id = await newSession(a, 'ws-user');
    const onB = subscribe(b.url, `tx_id=${id}`, partner.client_token);
    const userOnA = subscribe(a.url, `user_id=ws-user`, partner.client_token);
    await Promise.all([onB.first, userOnA.first]);
    expect(onB.messages[0]).toMatchObject({ event: 'tx.update', merchant_transaction_id: id, status: 'pending' });

    expect((await move(a, id, 'processing')).status).toBe(200);
    await onB.received(2);
    expect(onB.messages[1]).toMatchObject({ event: 'tx.update', merchant_transaction_id: id, status: 'processing', crypto_amount: '100' });

    expect((await move(b, id, 'completed')).status).toBe(200);
    expect(await onB.closed).toBe(1000);
    await userOnA.received(3);
    expect(onB.messages.map((m) => m.status)).toEqual(['pending', 'processing', 'completed']);
    expect(userOnA.messages.map((m) => m.status)).toEqual(['pending', 'processing', 'completed']);
    userOnA.socket.close();
  });

  it('announces changes on its own schema’s channel only: a deployment in another schema of the database hears none', async () => {
    // The schema comes from the URL's search_path here, as an operator would set it.
    const listen = async (channel: string) => {
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      const heard: Array<{ partnerId?: string }> = [];
      client.on('notification', (message) => heard.push(message.payload === 'marker' ? {} : JSON.parse(message.payload!)));
      await client.connect();
      await client.query(`listen "${channel}"`);
      return { client, heard };
    };
    const own = await listen(eventChannel(schema));
    const other = await listen(eventChannel('public'));
    try {
      const id = await newSession(a, 'channel-user');
      expect((await move(b, id, 'processing')).status).toBe(200);
      const ours = (heard: Array<{ partnerId?: string }>) => heard.filter((event) => event.partnerId === partner.partner_id);
      await waitUntil(
        () => ours(own.heard).length === 1,
        10_000,
        () => JSON.stringify(own.heard),
      );
      // Notifications arrive in commit order: once a marker sent after the change arrives, the
      // change would have arrived before it had it been announced on that channel.
      await own.client.query(`select pg_notify($1, 'marker')`, [eventChannel('public')]);
      await waitUntil(
        () => other.heard.some((event) => event.partnerId === undefined),
        10_000,
        () => 'marker',
      );
      expect(ours(other.heard)).toEqual([]);
    } finally {
      await Promise.all([own.client.end(), other.client.end()]);
    }
  });

  it('disabling a partner through node A closes its sockets on node B and refuses its token there at once', async () => {
    const revoked = await createPartner(a.url, `${receiver.url}/hooks`);
    const id = await newSession(b, 'revoked-user', revoked); // node B has now cached the token
    const onB = subscribe(b.url, `tx_id=${id}`, revoked.client_token);
    await onB.first;
    expect((await request(`${a.url}/admin/partners/${revoked.partner_id}/disable`, { token: ADMIN_TOKEN, method: 'POST' })).status).toBe(
      200,
    );
    const closedWithin = await Promise.race([onB.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 3_000))]);
    expect(closedWithin).toBe(4401);
    const read = await request(`${b.url}/widget/transactions/${id}`, { token: revoked.client_token });
    expect(read.status).toBe(401);
  });

  it(`two webhook workers deliver ${TRANSACTIONS * STEPS.length} changes with exactly one attempt each`, { timeout: 120_000 }, async () => {
    const busy = await createPartner(b.url, `${receiver.url}/hooks`); // a partner of its own: only these deliveries
    const ids: string[] = [];
    await forEachLimited(
      Array.from({ length: TRANSACTIONS }, (_, i) => i),
      CONCURRENCY,
      async (i) => void ids.push(await newSession(nodes[i % 2]!, `multi-${i % 20}`, busy)),
    );
    const txIds = new Set(ids);
    // Changes alternate between the nodes, so both workers are woken and compete for the outbox.
    let turn = 0;
    await forEachLimited(ids, CONCURRENCY, async (id) => {
      for (const status of STEPS) expect((await move(nodes[turn++ % 2]!, id, status)).status).toBe(200);
    });

    const hooks = () => receiver.received.filter((hook) => txIds.has(hook.json.merchant_transaction_id));
    await waitUntil(
      () => hooks().length >= TRANSACTIONS * STEPS.length,
      60_000,
      () => `${hooks().length} of ${TRANSACTIONS * STEPS.length} webhooks`,
    );

    // The database's account: each delivery claimed once (attempts) with one recorded attempt. Once
    // all are delivered none can be claimed again, so the receiver's count below is final.
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    let rows: Array<{ id: string; status: string; attempts: number; recorded: number }> = [];
    try {
      const read = async () => {
        const result = await client.query<{ id: string; status: string; attempts: number; recorded: string }>(
          `select d.id, d.status, d.attempts, count(a.id) as recorded
             from webhook_deliveries d left join webhook_attempts a on a.delivery_id = d.id
            where d.partner_id = $1 and d.transaction_id is not null
            group by d.id, d.status, d.attempts`,
          [busy.partner_id],
        );
        rows = result.rows.map((row) => ({ ...row, recorded: Number(row.recorded) }));
        return rows.length === TRANSACTIONS * STEPS.length && rows.every((row) => row.status === 'delivered');
      };
      await waitUntil(read, 30_000, () => `${rows.filter((row) => row.status === 'delivered').length} of ${rows.length} delivered`);
    } finally {
      await client.end();
    }
    expect(rows.filter((row) => row.attempts !== 1 || row.recorded !== 1)).toEqual([]);

    const all = hooks();
    const attemptsPerId = new Map<string, number>();
    for (const hook of all) attemptsPerId.set(hook.id, (attemptsPerId.get(hook.id) ?? 0) + 1);
    expect(attemptsPerId.size).toBe(TRANSACTIONS * STEPS.length);
    expect([...attemptsPerId].filter(([, count]) => count !== 1)).toEqual([]);
    expect([...attemptsPerId.keys()].filter((id) => !rows.some((row) => row.id === id))).toEqual([]);
    expect(new Set(all.map((hook) => `${hook.json.merchant_transaction_id}/${hook.json.status}`)).size).toBe(TRANSACTIONS * STEPS.length);
    for (const id of ids) {
      expect(all.filter((hook) => hook.json.merchant_transaction_id === id).map((hook) => hook.json.status)).toEqual([...STEPS]);
    }

    // Both nodes' workers took part (attributed through the sending process of each connection).
    const sentBy = new Map<number | null, number>();
    for (const hook of all) {
      const owner = owners.get(hook.remotePort) ?? null;
      sentBy.set(owner, (sentBy.get(owner) ?? 0) + 1);
    }
    const byNode = nodes.map((node) => sentBy.get(node.process.pid!) ?? 0);
    console.log(`[multinode] webhooks sent by node A: ${byNode[0]}, node B: ${byNode[1]}, unattributed: ${sentBy.get(null) ?? 0}`);
    if (existsSync('/proc/net/tcp')) expect(byNode.every((count) => count > 0)).toBe(true);
  });
});
