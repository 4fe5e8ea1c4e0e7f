import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransactionEvent } from '../src/modules/delivery/event-bus.ts';
import { ensureIdentity } from '../src/modules/kyc/identities.ts';
import { type Client, connect, DELIVERY_ENV, trackServerSockets, within } from './helpers/delivery-kit.ts';
import { logCollector } from './helpers/log-collector.ts';
import { forgetCachedTokens } from './helpers/platform-internals.ts';
import { runCommonRouteTests } from './helpers/run-common-route-tests.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';
import { type Crowd, startCrowd } from './helpers/ws-crowd.ts';

/**
 * GET /ws over real sockets: both URL forms of the partner docs, the current state first, one
 * tx.update per change with the documented fields, the close codes, the per-token connection cap,
 * pings, and a client that stops reading being dropped without holding the others up.
 */

const START = new Date('2026-11-21T12:00:00Z');
const MINUTE = 60_000;
const at = (minutes: number) => new Date(START.getTime() + minutes * MINUTE).toISOString();

/** Exactly the documented tx.update fields (payment_method only when known). */
const update = (id: string, fields: Record<string, unknown>) => ({
  event: 'tx.update',
  merchant_transaction_id: id,
  partner_user_id: 'user-1',
  type: 'buy',
  status: 'pending',
  currency: 'USDT',
  network: 'TRC20',
  fiat_currency: 'EUR',
  fiat_amount: '94.80',
  crypto_amount: '',
  ...fields,
});

describe('WebSocket /ws', () => {
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV, otherPartner: true });
  const open: Client[] = [];
  const subscribe = (query: Record<string, string> | string, token?: string, headers?: Record<string, string>) => {
    const client = connect(server, query, token, headers ? { headers } : {});
    open.push(client);
    return client;
  };

  afterAll(() => {
    for (const client of open) client.socket.terminate();
  });

  /** Moves a transaction with the clock one minute on. */
  const move = async (id: string, status: string, reason?: string) => {
    server.clock.advance(MINUTE);
    const result = await server.sandboxMove(id, status, reason);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
  };

  describe('?tx_id= with Authorization', () => {
    it('sends the current state first, a tx.update per change with the documented fields, then closes 1000 at completed', async () => {
      server.clock.set(START);
      const id = await server.newSession();
      const client = subscribe({ tx_id: id }, server.partner.client_token);
      expect(await client.next(1)).toEqual([update(id, { occurred_at: at(0) })]);

      await move(id, 'processing');
      await client.next(2);
      await move(id, 'completed');
      expect(await client.closed).toEqual({ code: 1000, reason: 'completed' });
      expect(client.messages).toEqual([
        update(id, { occurred_at: at(0) }),
        update(id, { status: 'processing', crypto_amount: '100', occurred_at: at(1) }),
        update(id, { status: 'completed', crypto_amount: '100', occurred_at: at(2) }),
      ]);
    });

    it.each([
      ['failed', 'payment_declined', { failure_reason: 'payment_declined' }],
      ['cancelled', 'user_cancelled', {}],
    ] as const)('closes 1000 with the status as reason at %s', async (status, reason, extra) => {
      server.clock.set(START);
      const id = await server.newSession();
      const client = subscribe({ tx_id: id }, server.partner.client_token);
      await client.next(1);
      await move(id, status, reason);
      expect(await client.closed).toEqual({ code: 1000, reason: status });
      expect(client.messages).toEqual([update(id, { occurred_at: at(0) }), update(id, { status, ...extra, occurred_at: at(1) })]);
    });

    it('a transaction that is already terminal: its current state, then 1000', async () => {
      server.clock.set(START);
      const id = await server.newSession();
      await move(id, 'processing');
      await move(id, 'completed');
      const client = subscribe({ tx_id: id }, server.partner.client_token);
      expect(await client.closed).toEqual({ code: 1000, reason: 'completed' });
      expect(client.messages).toEqual([update(id, { status: 'completed', crypto_amount: '100', occurred_at: at(2) })]);
    });

    it('includes payment_method once it is known', async () => {
      server.clock.set(START);
      const id = await server.newSession();
      await server.platform.db
        .updateTable('transactions')
        .set({ payment_method: 'card' })
        .where('merchant_transaction_id', '=', id)
        .execute();
      const client = subscribe({ tx_id: id }, server.partner.client_token);
      await client.next(1);
      await move(id, 'processing');
      await client.next(2);
      expect(client.messages).toEqual([
        update(id, { payment_method: 'card', occurred_at: at(0) }),
        update(id, { payment_method: 'card', status: 'processing', crypto_amount: '100', occurred_at: at(1) }),
      ]);
      client.socket.close();
    });

    it('only hears about its own transaction', async () => {
      const id = await server.newSession();
      const neighbour = await server.newSession();
      const client = subscribe({ tx_id: id }, server.partner.client_token);
      await client.next(1);
      await move(neighbour, 'processing');
      await move(neighbour, 'completed');
      await move(id, 'cancelled');
      expect((await client.closed).code).toBe(1000);
      expect(client.messages.map((m) => [m.merchant_transaction_id, m.status])).toEqual([
        [id, 'pending'],
        [id, 'cancelled'],
      ]);
    });
  });

  describe('?user_id= (older docs)', () => {
    it.each([
      ['Authorization header', false],
      ['?token= in the query', true],
    ] as const)('with the %s: every transaction of the user, current state first, none of other users', async (_label, inQuery) => {
      server.clock.set(START);
      const user = `user-ws-${inQuery ? 'query' : 'header'}`;
      const first = await server.newSession({ partner_user_id: user });
      server.clock.advance(1000);
      const second = await server.newSession({ partner_user_id: user, type: 'sell' });
      const stranger = await server.newSession({ partner_user_id: `${user}-other` });
      // Another partner's user with the same partner_user_id is a different user.
      const foreign = await server.newSession({ partner_user_id: user }, { token: server.otherPartner.client_token });

      const token = server.partner.client_token;
      const client = inQuery ? subscribe({ user_id: user, token }) : subscribe({ user_id: user }, token);
      const initial = await client.next(2);
      expect(initial.map((m) => [m.merchant_transaction_id, m.partner_user_id, m.type, m.status])).toEqual([
        [first, user, 'buy', 'pending'],
        [second, user, 'sell', 'pending'],
      ]);

      await move(stranger, 'processing');
      await move(foreign, 'processing');
      await move(first, 'processing');
      await move(second, 'processing');
      await move(foreign, 'completed');
      await move(first, 'completed');
      await move(second, 'failed', 'payout_failed');
      await client.next(6);
      expect(client.messages.slice(2).map((m) => [m.merchant_transaction_id, m.status, m.occurred_at])).toEqual([
        [first, 'processing', new Date(START.getTime() + 1000 + 3 * MINUTE).toISOString()],
        [second, 'processing', new Date(START.getTime() + 1000 + 4 * MINUTE).toISOString()],
        [first, 'completed', new Date(START.getTime() + 1000 + 6 * MINUTE).toISOString()],
        [second, 'failed', new Date(START.getTime() + 1000 + 7 * MINUTE).toISOString()],
      ]);
      expect(client.messages[5]).toMatchObject({
        type: 'sell',
        failure_reason: 'payout_failed',
        fiat_amount: '90.12',
        crypto_amount: '100',
      });
      // Terminal statuses do not end a user subscription: a new transaction of the user still arrives.
      expect(client.socket.readyState).toBe(client.socket.OPEN);
      const third = await server.newSession({ partner_user_id: user });
      await move(third, 'cancelled');
      await client.next(7);
      expect(client.messages[6]).toMatchObject({ merchant_transaction_id: third, status: 'cancelled' });
      expect(client.messages).toHaveLength(7);
      client.socket.close();
      expect((await client.closed).code).toBe(1005);
    });

    it('a user known only by identity (no transaction yet) is accepted and hears its first transaction change', async () => {
      const user = 'user-ws-identity';
      await ensureIdentity(server.platform, { partnerId: server.partner.partner_id, partnerUserId: user, email: 'identity@example.com' });
      const client = subscribe({ user_id: user }, server.partner.client_token);
      await within(new Promise((resolve) => client.socket.once('open', resolve)), 5_000, 'the upgrade');
      // Creating a session is not a status change; the first change of the new transaction is.
      server.clock.set(START);
      const id = await server.newSession({ partner_user_id: user, user_email: 'identity@example.com' });
      await move(id, 'processing');
      // The server reads the user's current state just after the upgrade; if the session was created
      // by then, that state (pending) comes first. Either way the change itself arrives once.
      const first = (await client.next(1))[0];
      const messages = first.status === 'pending' ? (await client.next(2)).slice(0, 2) : [first];
      if (messages.length === 2) expect(messages[0]).toMatchObject({ merchant_transaction_id: id, status: 'pending' });
      expect(messages.at(-1)).toEqual(
        update(id, { partner_user_id: user, status: 'processing', crypto_amount: '100', occurred_at: at(1) }),
      );
      client.socket.close();
    });

    it('orders each transaction’s updates and never repeats one, even when subscribing during a burst', async () => {
      const user = 'user-ws-burst';
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await server.newSession({ partner_user_id: user }));
      // Subscribe while the changes commit: each is either in the current state or arrives after it.
      const client = subscribe({ user_id: user }, server.partner.client_token);
      await Promise.all(
        ids.map(async (id) => {
          expect((await server.sandboxMove(id, 'processing')).status).toBe(200);
          expect((await server.sandboxMove(id, 'completed')).status).toBe(200);
        }),
      );
      const finished = new Set<string>();
      for (let count = 1; finished.size < ids.length; count++) {
        const messages = await client.next(count);
        const last = messages[count - 1];
        if (last.status === 'completed') finished.add(last.merchant_transaction_id);
      }
      const order = ['pending', 'processing', 'completed'];
      for (const id of ids) {
        const statuses = client.messages.filter((m) => m.merchant_transaction_id === id).map((m) => m.status);
        expect(statuses.at(-1)).toBe('completed');
        expect(new Set(statuses).size).toBe(statuses.length);
        expect(statuses).toEqual([...statuses].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
      }
      client.socket.close();
    });
  });

  describe('refusals and their close codes', () => {
    // The upgrade's token and Origin rules with ?tx_id= and the Authorization header (missing,
    // malformed, unknown, revoked token → 4401; another partner's transaction → 4404; an
    // unregistered Origin → 4401 forbidden_origin) are the common route suite's.
    runCommonRouteTests(server, { name: 'GET /ws (upgrade)', method: 'WS', query: async (s) => ({ tx_id: await s.newSession() }) });

    it('?user_id= without a token → 4401 missing_token; an unknown token in the query → 4401 invalid_token', async () => {
      expect(await subscribe({ user_id: 'user-1', token: 'ct_0000000000000000000000000000000' }).closed).toEqual({
        code: 4401,
        reason: 'invalid_token',
      });
      expect(await subscribe({ user_id: 'user-1' }).closed).toEqual({ code: 4401, reason: 'missing_token' });
      for (const client of open.slice(-2)) expect(client.messages).toEqual([]);
    });

    it("another partner's user, or an unknown transaction or user → 4404 and nothing leaks", async () => {
      await server.newSession({ partner_user_id: 'user-ws-private' });
      const cases = [
        subscribe({ tx_id: '00000000-0000-4000-8000-000000000000' }, server.partner.client_token),
        subscribe({ user_id: 'user-ws-private' }, server.otherPartner.client_token),
        subscribe({ user_id: 'nobody-at-all' }, server.partner.client_token),
        subscribe({ user_id: 'user-ws-private', token: server.otherPartner.client_token }),
      ];
      for (const client of cases) {
        expect(await client.closed).toEqual({ code: 4404, reason: 'not_found' });
        expect(client.messages).toEqual([]);
      }
    });

    it('neither tx_id nor user_id → 4400', async () => {
      const client = subscribe({}, server.partner.client_token);
      expect(await client.closed).toEqual({ code: 4400, reason: 'tx_id or user_id is required' });
      expect(client.messages).toEqual([]);
    });

    it('repeated, over-long or unprintable parameters → 4400', async () => {
      for (const query of ['tx_id=%00', `tx_id=${'x'.repeat(129)}`, 'tx_id=a&tx_id=b', 'user_id=%0Aevil']) {
        expect((await subscribe(query, server.partner.client_token).closed).code, query).toBe(4400);
      }
    });
  });

  it('a client that stops reading is dropped at 1 MB buffered with 4408; the others get every message, in order, meanwhile', async () => {
    const sockets = trackServerSockets(server);
    const user = 'user-ws-slow';
    await server.newSession({ partner_user_id: user });
    const fast = subscribe({ user_id: user }, server.partner.client_token);
    const slow = subscribe({ user_id: user }, server.partner.client_token);
    await fast.next(1);
    await slow.next(1);
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const slowOnServer = sockets.socketOf(slow);

    // Updates of ~6.5 kB through the bus, as a committed change sends them (NOTIFY included on
    // PostgreSQL). The kernel buffers a few MB for the paused client; after that the server's queue
    // for it grows until the hub's 1 MB limit, where it stops writing and closes the connection.
    const MB = 1024 * 1024;
    const padding = 'x'.repeat(6500);
    let seq = 0;
    let queued = 0;
    let maxQueued = 0;
    for (;;) {
      const batch: TransactionEvent[] = [];
      for (let i = 0; i < 50; i++) {
        seq++;
        batch.push({
          partnerId: server.partner.partner_id,
          transactionId: '00000000-0000-4000-8000-00000000beef',
          partnerUserId: user,
          seq,
          terminal: false,
          message: { event: 'tx.update', merchant_transaction_id: 'burst', partner_user_id: user, status: 'processing', n: seq, padding },
        });
      }
      await server.platform.db.transaction().execute(async (trx) => {
        await server.platform.bus.publishInTransaction(trx, batch);
      });
      server.platform.bus.afterCommit(batch);
      // The reading client keeps up: every batch arrives before the next is sent.
      await fast.next(1 + seq, 10_000);
      const previous = queued;
      queued = slowOnServer.writableLength;
      maxQueued = Math.max(maxQueued, queued);
      if (queued > MB && queued === previous) break; // the server stopped writing to it
      if (seq >= 6000) throw new Error(`the slow client was never dropped (${queued} bytes queued for it)`);
    }
    // Never more than the limit plus the one message that crossed it (and the close frame).
    expect(maxQueued).toBeLessThan(MB + 8 * 1024);
    expect(fast.messages.slice(1).map((m) => m.n)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    expect(fast.socket.readyState).toBe(fast.socket.OPEN);

    // The 4408 close frame waits behind the unread megabyte: a client that reads again gets
    // everything up to the limit, in order, then the close, and the server lets it go.
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await within(slow.closed, 10_000, 'the slow client’s close')).toEqual({ code: 4408, reason: 'too slow' });
    await sockets.closedOnServer(slow);
    expect(slow.messages.length).toBeLessThan(fast.messages.length);
    expect(slow.messages.slice(1).map((m) => m.n)).toEqual(Array.from({ length: slow.messages.length - 1 }, (_, i) => i + 1));
    fast.socket.close();
  }, 30_000);
});

describe('WebSocket fan-out to many subscribers', () => {
  const CROWD = 2000;
  const CHANGES = 50;
  const server = useServerWithPartner({ background: true, env: { ...DELIVERY_ENV, WS_MAX_CONNECTIONS_PER_TOKEN: String(CROWD + 10) } });
  let crowd: Crowd | null = null;
  afterAll(async () => {
    await crowd?.close();
  });

  // The clients live in a worker thread, so this thread's event loop is the server's alone: a
  // burst sent in one go held it for the whole fan-out; sent in slices, timers and requests run
  // between them. Each client also checks that its messages arrive in order.
  it(`a burst of ${CHANGES} changes to ${CROWD.toLocaleString('en')} subscribers reaches all of them without holding the event loop`, async () => {
    const user = 'user-ws-crowd';
    await server.newSession({ partner_user_id: user });
    crowd = await startCrowd({
      url: `${server.url.replace('http', 'ws')}/ws?user_id=${user}`,
      token: server.partner.client_token,
      count: CROWD,
    });
    await crowd.received(1); // every subscription is live and has its current state

    const batch: TransactionEvent[] = Array.from({ length: CHANGES }, (_, i) => ({
      partnerId: server.partner.partner_id,
      transactionId: '00000000-0000-4000-8000-00000000c0de',
      partnerUserId: user,
      seq: i + 1,
      terminal: false,
      message: { event: 'tx.update', merchant_transaction_id: 'crowd', partner_user_id: user, status: 'processing', n: i + 1 },
    }));
    // Committed as one batch, as a set-wise job does (on PostgreSQL the NOTIFYs arrive together).
    await server.platform.db.transaction().execute(async (trx) => {
      await server.platform.bus.publishInTransaction(trx, batch);
    });
    // A timer due every millisecond measures how much CPU time this thread spent between two of its
    // turns: the longest stretch of work nothing else could interrupt. CPU time, not the clock, so
    // that other processes on a busy machine (which delay the timer too) do not count.
    let longestTurnMs = 0;
    let longestGapMs = 0;
    let turns = 0;
    let before = process.threadCpuUsage();
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = process.threadCpuUsage();
      longestTurnMs = Math.max(longestTurnMs, (now.user - before.user + now.system - before.system) / 1000);
      longestGapMs = Math.max(longestGapMs, performance.now() - last);
      before = now;
      last = performance.now();
      turns++;
    }, 1);
    server.platform.bus.afterCommit(batch);
    await within(crowd.received(1 + CHANGES), 60_000, `${CHANGES} messages at ${CROWD} clients`);
    clearInterval(ticker);
    const summary = `longest turn ${longestTurnMs.toFixed(1)} ms of CPU (${longestGapMs.toFixed(1)} ms by the clock); ${turns} timer turns`;
    // Sent in one go, the 100,000 messages took well over 100 ms of CPU in one turn;
    // the slices are 2 ms of work each (a turn may hold more than one, and a collection of garbage).
    expect(longestTurnMs, summary).toBeLessThan(40);
  }, 120_000);
});

describe('WebSocket limits: connections per token, pings', () => {
  const server = useServerWithPartner({
    background: true,
    env: { ...DELIVERY_ENV, WS_MAX_CONNECTIONS_PER_TOKEN: '2', WS_PING_INTERVAL: '200ms' },
    otherPartner: true,
  });
  let sockets: ReturnType<typeof trackServerSockets>;
  const open: Client[] = [];
  const subscribe = (query: Record<string, string>, token?: string, options = {}) => {
    const client = connect(server, query, token, options);
    open.push(client);
    return client;
  };

  beforeAll(() => {
    sockets = trackServerSockets(server);
  });
  afterAll(() => {
    for (const client of open) client.socket.terminate();
  });

  it('refuses a third connection of one token with 4429, frees the slot when one closes, counts per token', async () => {
    const id = await server.newSession();
    await server.newSession({}, { token: server.otherPartner.client_token });
    const a = subscribe({ tx_id: id }, server.partner.client_token);
    const b = subscribe({ user_id: 'user-1' }, server.partner.client_token);
    await a.next(1);
    await b.next(1);
    const c = subscribe({ tx_id: id }, server.partner.client_token);
    expect(await c.closed).toEqual({ code: 4429, reason: 'too many connections for this token' });
    expect(c.messages).toEqual([]);
    // Another partner's token has its own allowance.
    const d = subscribe({ user_id: 'user-1' }, server.otherPartner.client_token);
    expect((await d.next(1))[0].partner_user_id).toBe('user-1');

    a.socket.close();
    await a.closed;
    await sockets.closedOnServer(a);
    const e = subscribe({ tx_id: id }, server.partner.client_token);
    expect((await e.next(1))[0].merchant_transaction_id).toBe(id);
    b.socket.close();
    d.socket.close();
    e.socket.close();
    await Promise.all([b, d, e].map((client) => client.closed));
    await Promise.all([b, d, e].map((client) => sockets.closedOnServer(client)));
  });

  it('connections the server refused or ended (4404, 4400, terminal 1000) give their slot back', async () => {
    const id = await server.newSession();
    await server.sandboxMove(id, 'cancelled');
    const cases: Array<[Record<string, string>, number]> = [
      [{ tx_id: 'unknown' }, 4404],
      [{}, 4400],
      [{ tx_id: id }, 1000],
      [{ user_id: 'nobody' }, 4404],
      [{ tx_id: 'unknown' }, 4404],
    ];
    for (const [query, code] of cases) {
      const client = subscribe(query, server.partner.client_token);
      expect((await client.closed).code).toBe(code);
      await sockets.closedOnServer(client);
    }
    const a = subscribe({ user_id: 'user-1' }, server.partner.client_token);
    const b = subscribe({ user_id: 'user-1' }, server.partner.client_token);
    await a.next(1);
    await b.next(1);
    a.socket.close();
    b.socket.close();
    await Promise.all([a.closed, b.closed]);
    await sockets.closedOnServer(a);
    await sockets.closedOnServer(b);
  });

  // Regression: a client that disconnected while its upgrade was still being authenticated kept a
  // connection slot of its token for good (its close event had passed before the slot was counted),
  // so enough of them locked the partner out of /ws with 4429 until a restart.
  it('a client that leaves while its token is being checked does not keep a slot', async () => {
    const id = await server.newSession();
    for (let i = 0; i < 3; i++) {
      // Hold the token lookup: a lock on partner_tokens until the client has gone.
      forgetCachedTokens(server);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = server.platform.db.transaction().execute(async (trx) => {
        await sql`lock table partner_tokens in access exclusive mode`.execute(trx);
        locked();
        await gate;
      });
      await isLocked;
      const client = subscribe({ tx_id: id }, server.partner.client_token);
      await within(new Promise((resolve) => client.socket.once('upgrade', resolve)), 5_000, 'the upgrade');
      client.socket.terminate();
      await client.closed;
      await sockets.closedOnServer(client);
      release();
      await holding;
    }
    // Finish the checks the server still had running for those clients, then use both slots.
    const a = subscribe({ tx_id: id }, server.partner.client_token);
    const b = subscribe({ tx_id: id }, server.partner.client_token);
    const outcome = (client: Client) =>
      Promise.race([client.next(1).then(() => 'subscribed'), client.closed.then(({ code }) => `closed ${code}`)]);
    expect(await outcome(a)).toBe('subscribed');
    expect(await outcome(b)).toBe('subscribed');
    a.socket.close();
    b.socket.close();
    await Promise.all([a.closed, b.closed]);
    await sockets.closedOnServer(a);
    await sockets.closedOnServer(b);
  });

  it('pings every WS_PING_INTERVAL; a peer that answers stays, one that never answers is cut off', async () => {
    const id = await server.newSession();
    const live = subscribe({ tx_id: id }, server.partner.client_token);
    const mute = subscribe({ tx_id: id }, server.partner.client_token, { autoPong: false });
    await live.next(1);
    await mute.next(1);
    let pings = 0;
    const threePings = new Promise<void>((resolve) =>
      live.socket.on('ping', () => {
        if (++pings === 3) resolve();
      }),
    );
    await within(threePings, 5_000, 'three pings');
    expect(live.socket.readyState).toBe(live.socket.OPEN);
    // The mute peer got its first ping and did not answer: terminated at the next interval.
    expect((await within(mute.closed, 5_000, 'the mute peer being cut off')).code).toBe(1006);
    live.socket.close();
  });
});

describe('WebSocket frames a client may not send', () => {
  const logs = logCollector('debug');
  const server = useServerWithPartner({ platformOptions: { logger: logs.logger } });

  it('an oversized frame closes the socket with 1009 and is no error of ours: no error-level line, no stack', async () => {
    const id = await server.newSession();
    const client = connect(server, { tx_id: id }, server.partner.client_token);
    await client.next(1);
    client.socket.send('x'.repeat(10_000));
    expect((await within(client.closed)).code).toBe(1009);

    const anonymous = connect(server, { tx_id: id });
    anonymous.socket.on('open', () => anonymous.socket.send('x'.repeat(10_000)));
    expect([1009, 4401]).toContain((await within(anonymous.closed)).code);

    await new Promise((resolve) => setTimeout(resolve, 50));
    const fromSockets = logs.lines.filter((line) => String(line.msg ?? '').includes('websocket') || 'err' in line);
    expect(fromSockets.length).toBeGreaterThan(0);
    for (const line of fromSockets) {
      expect(line.level as number).toBeLessThan(40);
      expect(JSON.stringify(line)).not.toContain('stack');
    }
  });
});

describe('revocation reaches open sockets', () => {
  // A long token cache: what closes the sockets below is the access change itself, not a cache running out.
  const server = useServerWithPartner({ env: { ...DELIVERY_ENV, WS_PING_INTERVAL: '100ms', AUTH_CACHE_TTL: '1h' } });
  const admin = (path: string, body?: unknown) => server.admin(path, { method: body === undefined ? 'POST' : 'PATCH', body });

  async function openSocket(token = server.partner.client_token) {
    const id = await server.newSession({}, { token });
    const client = connect(server, { tx_id: id }, token);
    await client.next(1);
    return client;
  }

  it('disabling the partner closes its sockets with 4401 at once; enabling lets it back', async () => {
    const client = await openSocket();
    expect((await admin(`/partners/${server.partner.partner_id}/disable`)).status).toBe(200);
    expect(await within(client.closed, 2_000)).toEqual({ code: 4401, reason: 'invalid_token' });
    expect((await admin(`/partners/${server.partner.partner_id}/enable`)).status).toBe(200);
    const again = await openSocket();
    again.socket.close();
  });

  it('rotating the token without grace closes the sockets of the old token only', async () => {
    const old = await openSocket();
    const rotated = await server.admin(`/partners/${server.partner.partner_id}/rotate-token`, {
      method: 'POST',
      body: { grace_seconds: 0 },
    });
    expect(rotated.status).toBe(200);
    expect(await within(old.closed, 2_000)).toEqual({ code: 4401, reason: 'invalid_token' });
    const fresh = await openSocket(rotated.body.client_token);
    const second = await server.admin(`/partners/${server.partner.partner_id}/rotate-token`, {
      method: 'POST',
      body: { grace_seconds: 3600 },
    });
    expect(second.status).toBe(200);
    // With a grace period the socket stays open until the grace period ends, then closes like the token:
    // each ping comes right after the token was checked again, so three pings are three checks passed.
    await within(
      new Promise<void>((resolve) => {
        let pings = 0;
        fresh.socket.on('ping', () => {
          if (++pings === 3) resolve();
        });
      }),
      2_000,
    );
    expect(fresh.socket.readyState).toBe(fresh.socket.OPEN);
    server.clock.advance(3600 * 1000 + 1000);
    expect(await within(fresh.closed, 2_000)).toEqual({ code: 4401, reason: 'invalid_token' });
    server.partner.client_token = second.body.client_token;
  });

  it('an IP allowlist that no longer admits the socket’s address closes it', async () => {
    const client = await openSocket();
    const changed = await admin(`/partners/${server.partner.partner_id}`, { ip_allowlist: ['203.0.113.0/24'] });
    expect(changed.status).toBe(200);
    expect(await within(client.closed, 2_000)).toEqual({ code: 4401, reason: 'forbidden_ip' });
  });
});
