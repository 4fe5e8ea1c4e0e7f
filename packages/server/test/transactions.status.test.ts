import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { changeStatus } from '../src/modules/transactions/change-status.ts';
import { expireTransactions } from '../src/modules/transactions/expire-transactions.ts';
import { connect, DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { ADMIN_TOKEN, expectError, request, type TestServer } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * The transaction status table of the partner API, driven through the sandbox operator call over
 * real HTTP: every legal path for buy and sell, every failure reason, every illegal move, the
 * expiry job, and the atomicity of a status change (row, history and outbox commit together).
 */

const START = new Date('2026-11-21T12:00:00Z');
const MINUTE = 60_000;

/** The sandbox partner quotes 100 USDT on TRC20 at 94.80 EUR to buy and 90.12 EUR to sell. */
const FIAT = { buy: '94.80', sell: '90.12' } as const;

type Type = 'buy' | 'sell';

async function dbState(server: Pick<TestServer, 'platform'>, id: string) {
  const db = server.platform.db;
  const row = await db
    .selectFrom('transactions')
    .select(['id', 'status', 'version', 'failure_reason', 'settled_crypto_minor', 'updated_at'])
    .where('merchant_transaction_id', '=', id)
    .executeTakeFirstOrThrow();
  const events = await db
    .selectFrom('transaction_events')
    .select(['seq', 'status', 'reason', 'message'])
    .where('transaction_id', '=', row.id)
    .orderBy('seq')
    .execute();
  const deliveries = await db
    .selectFrom('webhook_deliveries')
    .select(['id', 'seq', 'status', 'payload'])
    .where('transaction_id', '=', row.id)
    .orderBy('seq')
    .execute();
  return { row, events, deliveries };
}

describe('transaction status paths (sandbox status call)', () => {
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV, webhookReceiver: true, otherPartner: true });

  const view = async (id: string) => {
    const result = await server.getTransaction(id);
    expect(result.status).toBe(200);
    return result.body;
  };

  /** Moves with the clock one minute on, checks the answer is the tx.update of that change. */
  const step = async (id: string, type: Type, status: string, reason?: string) => {
    server.clock.advance(MINUTE);
    const result = await server.sandboxMove(id, status, reason);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.body).toMatchObject({
      event: 'tx.update',
      merchant_transaction_id: id,
      type,
      status,
      occurred_at: server.clock.now().toISOString(),
    });
    return result.body;
  };

  describe.each(['buy', 'sell'] as const)('%s', (type) => {
    const processingReason = type === 'buy' ? 'payment_captured' : 'deposit_confirmed';
    const completedReason = type === 'buy' ? 'crypto_delivered' : 'fiat_paid';

    it('pending → processing → completed: crypto_amount appears at processing, no failure_reason, one event each', async () => {
      server.clock.set(START);
      const id = await server.newSession({ type });
      const created = await view(id);
      expect(created).toEqual({
        merchant_transaction_id: id,
        partner_user_id: 'user-1',
        type,
        status: 'pending',
        currency: 'USDT',
        network: 'TRC20',
        crypto_amount: '',
        fiat_currency: 'EUR',
        fiat_amount: FIAT[type],
        created_at: START.toISOString(),
        updated_at: START.toISOString(),
      });

      const processing = await step(id, type, 'processing');
      expect(processing.crypto_amount).toBe('100');
      expect(await view(id)).toEqual({ ...created, status: 'processing', crypto_amount: '100', updated_at: '2026-11-21T12:01:00.000Z' });

      const completed = await step(id, type, 'completed');
      expect(completed).toEqual({
        event: 'tx.update',
        merchant_transaction_id: id,
        partner_user_id: 'user-1',
        type,
        status: 'completed',
        currency: 'USDT',
        network: 'TRC20',
        crypto_amount: '100',
        fiat_currency: 'EUR',
        fiat_amount: FIAT[type],
        occurred_at: '2026-11-21T12:02:00.000Z',
      });
      expect(await view(id)).toEqual({ ...created, status: 'completed', crypto_amount: '100', updated_at: '2026-11-21T12:02:00.000Z' });

      const { row, events, deliveries } = await dbState(server, id);
      // A new transaction is version 1; each change bumps it and is numbered by the new version.
      expect(row).toMatchObject({ status: 'completed', version: 3, failure_reason: null });
      expect(events.map((e) => [e.seq, e.status, e.reason])).toEqual([
        [2, 'processing', null],
        [3, 'completed', null],
      ]);
      expect(events[1]!.message).toEqual(completed);
      expect(deliveries.map((d) => [d.seq, (d.payload as any).status])).toEqual([
        [2, 'processing'],
        [3, 'completed'],
      ]);
    });

    it('an explicit reason is accepted for processing and completed', async () => {
      const id = await server.newSession({ type });
      await step(id, type, 'processing', processingReason);
      await step(id, type, 'completed', completedReason);
      const { events } = await dbState(server, id);
      expect(events.map((e) => [e.status, e.reason])).toEqual([
        ['processing', processingReason],
        ['completed', completedReason],
      ]);
      expect((await view(id)).status).toBe('completed');
    });

    const failedReasons =
      type === 'buy'
        ? ['payment_declined', 'kyc_rejected', 'session_expired', 'delivery_failed', 'rejected']
        : ['deposit_expired', 'payout_failed', 'kyc_rejected', 'rejected', 'deposit_underpaid'];

    it.each(failedReasons)('pending → failed (%s): failure_reason shown, crypto_amount stays empty', async (reason) => {
      const id = await server.newSession({ type });
      const failed = await step(id, type, 'failed', reason);
      expect(failed).toMatchObject({ status: 'failed', failure_reason: reason, crypto_amount: '' });
      expect(await view(id)).toMatchObject({ status: 'failed', failure_reason: reason, crypto_amount: '', fiat_amount: FIAT[type] });
      const { row, events } = await dbState(server, id);
      expect(row).toMatchObject({ status: 'failed', version: 2, failure_reason: reason, settled_crypto_minor: null });
      expect(events.map((e) => [e.seq, e.status, e.reason])).toEqual([[2, 'failed', reason]]);
    });

    it('pending → failed without a reason uses the default one', async () => {
      const id = await server.newSession({ type });
      await step(id, type, 'failed');
      expect((await view(id)).failure_reason).toBe(failedReasons[0]);
    });

    it('processing → failed keeps the crypto amount and shows the reason', async () => {
      const reason = type === 'buy' ? 'delivery_failed' : 'payout_failed';
      const id = await server.newSession({ type });
      await step(id, type, 'processing');
      await step(id, type, 'failed', reason);
      expect(await view(id)).toMatchObject({ status: 'failed', failure_reason: reason, crypto_amount: '100' });
      const { events } = await dbState(server, id);
      expect(events.map((e) => [e.status, e.reason])).toEqual([
        ['processing', null],
        ['failed', reason],
      ]);
    });

    it('pending → cancelled: reason user_cancelled in the history, no failure_reason in the view', async () => {
      const id = await server.newSession({ type });
      const cancelled = await step(id, type, 'cancelled');
      expect(cancelled).not.toHaveProperty('failure_reason');
      const shown = await view(id);
      expect(shown).toMatchObject({ status: 'cancelled', crypto_amount: '' });
      expect(shown).not.toHaveProperty('failure_reason');
      const { row, events } = await dbState(server, id);
      expect(row.failure_reason).toBe('user_cancelled');
      expect(events.map((e) => [e.status, e.reason])).toEqual([['cancelled', 'user_cancelled']]);
    });

    it('a failure reason of the other type is refused', async () => {
      const id = await server.newSession({ type });
      const foreign = type === 'buy' ? 'deposit_expired' : 'session_expired';
      const body = expectError(await server.sandboxMove(id, 'failed', foreign), 409, 'conflict', 'illegal_transition');
      expect(body.message).toBe(
        `"${foreign}" is not a reason for a ${type} transaction to become failed (use one of: ${failedReasons.join(', ')})`,
      );
      expectError(await server.sandboxMove(id, 'cancelled', 'changed_mind'), 409, 'conflict', 'illegal_transition');
      expect((await view(id)).status).toBe('pending');
    });

    it('illegal moves from pending and processing answer 409 and change nothing', async () => {
      const id = await server.newSession({ type });
      for (const to of ['pending', 'completed']) {
        const body = expectError(await server.sandboxMove(id, to), 409, 'conflict', 'illegal_transition');
        expect(body.message).toBe(`a ${type} transaction cannot go from pending to ${to}`);
      }
      await step(id, type, 'processing');
      for (const to of ['pending', 'processing', 'cancelled']) {
        const body = expectError(await server.sandboxMove(id, to), 409, 'conflict', 'illegal_transition');
        expect(body.message).toBe(`a ${type} transaction cannot go from processing to ${to}`);
      }
      const { row, events } = await dbState(server, id);
      expect(row).toMatchObject({ status: 'processing', version: 2 });
      expect(events).toHaveLength(1);
    });

    it.each([
      ['completed', ['processing', 'completed']],
      ['failed', ['failed']],
      ['cancelled', ['cancelled']],
    ] as const)('%s is terminal: every further move answers 409 and nothing changes', async (terminal, path) => {
      const id = await server.newSession({ type });
      for (const status of path) await step(id, type, status);
      await server.background!.webhooks.drain(); // the outbox rows are then final too
      const before = await dbState(server, id);
      const shown = await view(id);
      for (const to of ['pending', 'processing', 'completed', 'failed', 'cancelled']) {
        const body = expectError(await server.sandboxMove(id, to), 409, 'conflict', 'illegal_transition');
        expect(body.message).toBe(`the transaction is ${terminal}, which is final`);
      }
      expect(await dbState(server, id)).toEqual(before);
      expect(await view(id)).toEqual(shown);
    });
  });

  it('the status call validates its input: unknown status 400, unknown id 404, admin token required', async () => {
    const id = await server.newSession();
    const bad = await server.sandboxMove(id, 'refunded');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
    expectError(await server.sandboxMove('no-such-transaction', 'processing'), 404, 'not_found', 'not_found');
    const anonymous = await request(`${server.url}/admin/sandbox/transactions/${id}/status`, { body: { status: 'processing' } });
    expectError(anonymous, 401, 'unauthorised', 'missing_token');
    const wrong = await request(`${server.url}/admin/sandbox/transactions/${id}/status`, {
      token: server.partner.client_token,
      body: { status: 'processing' },
    });
    expectError(wrong, 401, 'unauthorised', 'invalid_token');
    expect((await view(id)).status).toBe('pending');
  });

  it('an id two partners use needs partner_id; each partner sees only its own transaction', async () => {
    const shared = `shared-${Date.now()}`;
    await server.newSession({ merchant_transaction_id: shared });
    await server.newSession({ merchant_transaction_id: shared }, { token: server.otherPartner.client_token });
    const ambiguous = expectError(await server.sandboxMove(shared, 'processing'), 400, 'invalid_request', 'validation_error');
    expect(ambiguous.details).toEqual([{ field: 'partner_id', issue: 'is required for this id' }]);
    const moved = await request(`${server.url}/admin/sandbox/transactions/${shared}/status`, {
      token: ADMIN_TOKEN,
      body: { status: 'cancelled', partner_id: server.otherPartner.partner_id },
    });
    expect(moved.status).toBe(200);
    expect((await server.getTransaction(shared, { token: server.otherPartner.client_token })).body.status).toBe('cancelled');
    expect((await server.getTransaction(shared)).body.status).toBe('pending');
  });

  it('two concurrent moves from pending: exactly one wins, the other sees its result', async () => {
    const id = await server.newSession();
    const [a, b] = await Promise.all([server.sandboxMove(id, 'processing'), server.sandboxMove(id, 'cancelled')]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = a.status === 200 ? 'processing' : 'cancelled';
    const loser = a.status === 200 ? b : a;
    expect(loser.body.message).toBe(
      winner === 'processing' ? 'a buy transaction cannot go from processing to cancelled' : 'the transaction is cancelled, which is final',
    );
    const { row, events, deliveries } = await dbState(server, id);
    expect(row).toMatchObject({ status: winner, version: 2 });
    expect(events.map((e) => [e.seq, e.status])).toEqual([[2, winner]]);
    expect(deliveries.map((d) => d.seq)).toEqual([2]);
  });

  it('a change that fails inside its database transaction leaves row, history, outbox and subscribers untouched', async () => {
    const id = await server.newSession();
    await server.sandboxMove(id, 'processing');
    await server.background!.webhooks.drain();
    const client = connect(server, { tx_id: id }, server.partner.client_token);
    await client.next(1);
    const before = await dbState(server, id);
    const hooksBefore = server.receiver.forTransaction(id).length;
    expect(before.row).toMatchObject({ status: 'processing', version: 2 });
    expect(before.deliveries.map((d) => [d.seq, d.status])).toEqual([[2, 'delivered']]);

    let ran = false;
    await expect(
      changeStatus(server.platform, {
        partnerId: server.partner.partner_id,
        merchantTransactionId: id,
        to: 'completed',
        afterUpdate: () => {
          ran = true;
          throw new Error('boom');
        },
      }),
    ).rejects.toThrow('boom');
    expect(ran).toBe(true);

    expect(await dbState(server, id)).toEqual(before);
    expect((await view(id)).status).toBe('processing');
    await server.background!.webhooks.drain();
    expect(server.receiver.forTransaction(id)).toHaveLength(hooksBefore);

    // The next real change is version 3 and is the only thing the subscriber and the receiver see.
    await server.sandboxMove(id, 'failed', 'delivery_failed');
    expect((await client.closed).code).toBe(1000);
    expect(client.messages.map((m) => m.status)).toEqual(['processing', 'failed']);
    const after = await dbState(server, id);
    expect(after.row).toMatchObject({ status: 'failed', version: 3 });
    expect(after.events.map((e) => [e.seq, e.status])).toEqual([
      [2, 'processing'],
      [3, 'failed'],
    ]);
    await server.background!.webhooks.drain();
    expect(server.receiver.forTransaction(id).map((hook) => hook.json.status)).toEqual(['processing', 'failed']);
  });
});

describe('expiry (POST /admin/sandbox/jobs/expire)', () => {
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV, webhookReceiver: true });

  const expire = async () => {
    const result = await request(`${server.url}/admin/sandbox/jobs/expire`, { token: ADMIN_TOKEN, method: 'POST' });
    expect(result.status).toBe(200);
    return result.body.expired as number;
  };
  const status = async (id: string) => (await server.getTransaction(id)).body;

  it('fails a pending buy after 60 min (session_expired) and a pending sell after 6 h (deposit_expired), nothing earlier', async () => {
    const t0 = new Date('2026-11-21T12:00:00Z');
    server.clock.set(t0);
    const buy = await server.newSession({ type: 'buy' });
    const sell = await server.newSession({ type: 'sell' });
    const buyProcessing = await server.newSession({ type: 'buy' });
    const sellProcessing = await server.newSession({ type: 'sell' });
    const buyCancelled = await server.newSession({ type: 'buy' });
    expect((await server.sandboxMove(buyProcessing, 'processing')).status).toBe(200);
    expect((await server.sandboxMove(sellProcessing, 'processing')).status).toBe(200);
    expect((await server.sandboxMove(buyCancelled, 'cancelled')).status).toBe(200);
    const client = connect(server, { user_id: 'user-1' }, server.partner.client_token);
    await client.next(5);

    expect(await expire()).toBe(0);
    server.clock.set(new Date(t0.getTime() + 60 * MINUTE - 1000));
    expect(await expire()).toBe(0);
    expect((await status(buy)).status).toBe('pending');

    server.clock.set(new Date(t0.getTime() + 60 * MINUTE + 1000));
    expect(await expire()).toBe(1);
    expect(await status(buy)).toMatchObject({
      status: 'failed',
      failure_reason: 'session_expired',
      crypto_amount: '',
      updated_at: '2026-11-21T13:00:01.000Z',
    });
    expect((await status(sell)).status).toBe('pending');
    expect(await expire()).toBe(0);

    server.clock.set(new Date(t0.getTime() + 6 * 60 * MINUTE - 1000));
    expect(await expire()).toBe(0);
    expect((await status(sell)).status).toBe('pending');

    server.clock.set(new Date(t0.getTime() + 6 * 60 * MINUTE + 1000));
    expect(await expire()).toBe(1);
    expect(await status(sell)).toMatchObject({
      status: 'failed',
      failure_reason: 'deposit_expired',
      crypto_amount: '',
      updated_at: '2026-11-21T18:00:01.000Z',
    });

    // Past every window, nothing else is pending: processing and terminal transactions never expire.
    server.clock.set(new Date(t0.getTime() + 48 * 60 * MINUTE));
    expect(await expire()).toBe(0);
    expect((await status(buyProcessing)).status).toBe('processing');
    expect((await status(sellProcessing)).status).toBe('processing');
    expect((await status(buyCancelled)).status).toBe('cancelled');

    // Expiry is a status change like any other: subscribers and the webhook hear of it.
    await client.next(7);
    expect(client.messages.slice(5).map((m) => [m.merchant_transaction_id, m.status, m.failure_reason])).toEqual([
      [buy, 'failed', 'session_expired'],
      [sell, 'failed', 'deposit_expired'],
    ]);
    client.socket.close();
    await server.background!.webhooks.drain();
    expect(server.receiver.forTransaction(buy).map((hook) => [hook.json.status, hook.json.failure_reason])).toEqual([
      ['failed', 'session_expired'],
    ]);
    expect(server.receiver.forTransaction(sell).map((hook) => [hook.json.status, hook.json.failure_reason])).toEqual([
      ['failed', 'deposit_expired'],
    ]);
  });
});

describe('expiry of a backlog', () => {
  // No webhook worker: the queued messages are counted, not sent.
  const server = useServerWithPartner({ partner: { webhook_url: 'https://partner.example/hooks' } });
  const BACKLOG = 1_234;

  /** One session over HTTP, then copies of its row: a backlog of pending buys whose init tokens expire together. */
  async function pendingBacklog(prefix: string): Promise<void> {
    const first = await server.newSession({ merchant_transaction_id: `${prefix}-0` });
    await sql`
      insert into transactions
      select (gen_random_uuid()), t.partner_id, ${prefix} || '-' || n, t.identity_id, t.partner_user_id, t.type, t.status,
             t.failure_reason, t.currency, t.network, t.address, t.quote_crypto_minor, t.fiat_currency, t.quote_fiat_minor,
             t.fee_fiat_minor, t.network_fee_crypto_minor, t.rate, t.settled_crypto_minor, t.payment_method, t.client_ip,
             t.request_hash, t.session, t.init_token_expires_at, t.version, t.created_at, t.updated_at
      from transactions t, generate_series(1, ${BACKLOG - 1}) as n
      where t.merchant_transaction_id = ${first}`.execute(server.platform.db);
  }

  it('clears the whole backlog in one run, set-wise, with the history, webhooks and notifications of each', async () => {
    server.clock.set(START);
    await pendingBacklog('backlog');
    const heard = new Set<string>();
    const unsubscribe = server.platform.bus.subscribe((event) => heard.add(event.transactionId));
    server.clock.set(new Date(START.getTime() + 61 * MINUTE));

    const result = await request(`${server.url}/admin/sandbox/jobs/expire`, { token: ADMIN_TOKEN, method: 'POST' });
    expect(result.body).toEqual({ expired: BACKLOG });
    // On PostgreSQL the notifications arrive over the LISTEN connection, after the job has answered.
    const deadline = Date.now() + 10_000;
    while (heard.size < BACKLOG && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    unsubscribe();

    const db = server.platform.db;
    const rows = await db
      .selectFrom('transactions')
      .select(['status', 'failure_reason', 'version'])
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .groupBy(['status', 'failure_reason', 'version'])
      .execute();
    expect(rows.map((row) => ({ ...row, count: Number(row.count) }))).toEqual([
      { status: 'failed', failure_reason: 'session_expired', version: 2, count: BACKLOG },
    ]);
    const events = await db
      .selectFrom('transaction_events')
      .select(['seq', 'status', 'reason'])
      .select((eb) => eb.fn.count<string>('transaction_id').distinct().as('transactions'))
      .groupBy(['seq', 'status', 'reason'])
      .execute();
    expect(events.map((row) => ({ ...row, transactions: Number(row.transactions) }))).toEqual([
      { seq: 2, status: 'failed', reason: 'session_expired', transactions: BACKLOG },
    ]);
    const queued = await db
      .selectFrom('webhook_deliveries')
      .select((eb) => [eb.fn.count<string>('transaction_id').distinct().as('transactions'), eb.fn.countAll<string>().as('messages')])
      .where('seq', '=', 2)
      .executeTakeFirstOrThrow();
    expect({ transactions: Number(queued.transactions), messages: Number(queued.messages) }).toEqual({
      transactions: BACKLOG,
      messages: BACKLOG,
    });
    const sample = await db.selectFrom('webhook_deliveries').select('payload').where('seq', '=', 2).limit(1).executeTakeFirstOrThrow();
    expect(sample.payload).toMatchObject({ status: 'failed', failure_reason: 'session_expired' });
    expect(heard.size).toBe(BACKLOG);
  });

  it('lets other queries in between its batches', async () => {
    server.clock.set(START);
    await pendingBacklog('between');
    server.clock.set(new Date(START.getTime() + 61 * MINUTE));
    let batches = 0;
    let probeAnsweredAfter: number | undefined;
    const expired = await expireTransactions(server.platform, {
      batchSize: 100,
      afterBatch: () => {
        batches++;
        if (batches === 1) {
          void sql`select 1`.execute(server.platform.db).then(() => {
            probeAnsweredAfter = batches;
          });
        }
      },
    });
    expect(expired).toBe(BACKLOG);
    expect(batches).toBe(Math.ceil(BACKLOG / 100));
    // Answered while the job still had ten batches to go, not once it was done.
    expect(probeAnsweredAfter).toBeLessThanOrEqual(2);
  });
});

describe('status changes at once on a node (STATUS_CHANGE_CONCURRENCY)', () => {
  // A pool of 3: two changes running and a read fill it, with four changes waiting.
  const server = useServerWithPartner({ env: { ...DELIVERY_ENV, DATABASE_POOL_SIZE: '3', STATUS_CHANGE_CONCURRENCY: '2' } });

  it('runs at most the limit at once, holding no connection while it waits, and makes every change', async () => {
    const ids = await Promise.all([0, 1, 2, 3, 4, 5].map(() => server.newSession()));
    // The embedded database runs one database transaction at a time whatever the limit.
    const postgres = server.platform.dbKind === 'postgres';
    let inside = 0;
    let most = 0;
    let gaveUp = false;
    let readAnswered!: () => void;
    const answered = new Promise<void>((resolve) => (readAnswered = resolve));
    let limitReached!: () => void;
    const full = new Promise<void>((resolve) => (limitReached = resolve));
    const giveUp = () => new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref()).then(() => (gaveUp = true));
    const changes = ids.map((id) =>
      changeStatus(server.platform, {
        partnerId: server.partner.partner_id,
        merchantTransactionId: id,
        to: 'processing',
        afterUpdate: async () => {
          most = Math.max(most, ++inside);
          if (inside === 2) limitReached();
          // On PostgreSQL the running changes keep their transactions (and connections) open until a
          // read has been answered: it gets the pool's last connection only if the waiting ones hold none.
          if (postgres) await Promise.race([answered, giveUp()]);
          inside--;
        },
      }),
    );
    if (postgres) {
      await full;
      const read = await request(`${server.url}/widget/transactions/${ids[0]}`, { token: server.partner.client_token });
      expect(read.status).toBe(200);
      // Operators see the four waiting.
      const metrics = await request(`${server.url}/metrics`, { token: ADMIN_TOKEN });
      expect(metrics.body).toMatch(/^proof_status_changes_waiting 4$/m);
      readAnswered();
    }
    const events = await Promise.all(changes);
    expect(gaveUp).toBe(false);
    expect(server.platform.statusChangeLimit.queued).toBe(0);
    expect(most).toBe(postgres ? 2 : 1);
    expect(events.map((event) => event.seq)).toEqual([2, 2, 2, 2, 2, 2]);

    // Over HTTP too: more concurrent sandbox calls than the limit all answer.
    const answers = await Promise.all(
      ids.map((id) =>
        request(`${server.url}/admin/sandbox/transactions/${id}/status`, { token: ADMIN_TOKEN, body: { status: 'completed' } }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });
});
