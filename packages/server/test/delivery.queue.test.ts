import { randomUUID } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import {
  type AttemptOutcome,
  type ClaimedDelivery,
  claimDeliveries,
  claimStatement,
  recordAttempts,
  recordStatement,
  releaseClaims,
} from '../src/modules/delivery/delivery-queue.ts';
import { requeueDeliveries } from '../src/modules/delivery/delivery-store.ts';
import { enqueueWebhooks, type WebhookToQueue } from '../src/modules/delivery/outbox.ts';
import { enableEndpoint } from '../src/modules/delivery/webhook-endpoint-store.ts';
import { startTestServer, type TestServer } from './helpers/test-platform.ts';

/**
 * The queue's bookkeeping at the level of its statements: only each transaction's first pending
 * message is claimable, a finished message hands the head to the next one exactly once (also when
 * the next is queued while the first is being recorded), replays and enabling put messages back in
 * order, and a claim reads only the due heads however many messages wait behind failing ones.
 */

const LEASE_MS = 25_000;
const HOUR = 3_600_000;
const onPostgres = process.env.PROOF_TEST_DB === 'postgres';

describe('webhook queue', () => {
  let server: TestServer;
  let db: Db;
  let partnerId: string;
  let now: Date;
  beforeAll(async () => {
    server = await startTestServer();
    db = server.platform.db;
    partnerId = (await server.createPartner({ webhook_url: 'https://partner.example/hooks' })).partner_id;
  });
  afterAll(() => server.close());
  // Each case starts from an empty queue.
  beforeEach(async () => {
    await db.deleteFrom('webhook_attempts').execute();
    await db.deleteFrom('webhook_deliveries').execute();
    await db.deleteFrom('webhook_chains').execute();
  });

  const tick = () => {
    now = new Date((now ?? server.clock.now()).getTime() + 1000);
    return now;
  };
  const queue = (messages: Array<Omit<WebhookToQueue, 'partnerId' | 'eventType' | 'payload' | 'now'>>, on: Db = db) => {
    const at = tick();
    return on.transaction().execute((trx) =>
      enqueueWebhooks(
        trx,
        messages.map((message) => ({ ...message, partnerId, eventType: 'tx.update', payload: { seq: message.seq }, now: at })),
      ),
    );
  };
  const claim = (limit = 100, on: Db = db) => claimDeliveries(on, { now: tick(), limit, leaseMs: LEASE_MS, exclude: [] });
  const outcome = (delivery: ClaimedDelivery, status: AttemptOutcome['status'], nextAttemptAt = now): AttemptOutcome => ({
    delivery,
    startedAt: now,
    finishedAt: now,
    statusCode: status === 'delivered' ? 204 : 503,
    latencyMs: 1,
    error: status === 'delivered' ? null : 'HTTP 503',
    status,
    nextAttemptAt,
    claimable: true,
  });
  /** The real statement under EXPLAIN ANALYZE, in a transaction rolled back after. */
  const explainAnalyze = async (statement: RawBuilder<unknown>): Promise<unknown> => {
    const trx = await db.startTransaction().execute();
    try {
      return (await sql<{ 'QUERY PLAN': unknown }>`explain (analyze, format json) ${statement}`.execute(trx)).rows[0]!['QUERY PLAN'];
    } finally {
      await trx.rollback().execute();
    }
  };
  const record = (outcomes: AttemptOutcome[], on: Db = db) => on.transaction().execute((trx) => recordAttempts(trx, outcomes));
  const seqsOf = (claimed: ClaimedDelivery[]) => claimed.map((delivery) => `${delivery.transaction_id}/${delivery.seq}`).sort();

  it('gives back claims a stopping worker did not send: claimable again at once, its attempt not counted; a newer claim is left alone', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await queue([
      { transactionId: a, seq: 1 },
      { transactionId: b, seq: 1 },
    ]);
    const first = await claim();
    expect(first).toHaveLength(2);
    expect(await claim()).toEqual([]); // both leased
    const [ofA, ofB] = [first.find((d) => d.transaction_id === a)!, first.find((d) => d.transaction_id === b)!];
    // b's claim is stale (its lease ran out and another worker claimed it since): releasing it changes nothing.
    await releaseClaims(db, [ofA, { ...ofB, attempts: ofB.attempts - 1 }]);
    const again = await claim();
    expect(again.map((d) => d.transaction_id)).toEqual([a]);
    expect(again[0]!.attempts).toBe(ofA.attempts);
    const rowOfB = await db
      .selectFrom('webhook_deliveries')
      .select(['attempts', 'lease_until'])
      .where('id', '=', ofB.id)
      .executeTakeFirstOrThrow();
    expect(rowOfB.attempts).toBe(ofB.attempts);
    expect(rowOfB.lease_until).not.toBeNull();
  });

  it('hands out one message per transaction at a time, in order; a retry keeps the later ones waiting', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await queue([
      { transactionId: a, seq: 1 },
      { transactionId: a, seq: 2 },
      { transactionId: b, seq: 1 },
    ]);
    await queue([{ transactionId: a, seq: 3 }]);
    const first = await claim();
    expect(seqsOf(first)).toEqual([`${a}/1`, `${b}/1`].sort());
    expect(await claim()).toEqual([]); // leased, and the rest wait behind them

    const fromA = first.find((delivery) => delivery.transaction_id === a)!;
    const fromB = first.find((delivery) => delivery.transaction_id === b)!;
    await record([outcome(fromA, 'delivered'), outcome(fromB, 'pending', new Date(now.getTime() + HOUR))]);
    const second = await claim();
    expect(seqsOf(second)).toEqual([`${a}/2`]);
    await record([outcome(second[0]!, 'failed')]); // retries exhausted: the chain moves on
    const third = await claim();
    expect(seqsOf(third)).toEqual([`${a}/3`]);
    await record([outcome(third[0]!, 'delivered')]);

    server.clock.advance(2 * HOUR);
    now = server.clock.now();
    const retried = await claim();
    expect(retried.map((delivery) => [delivery.transaction_id, delivery.seq, delivery.attempts])).toEqual([[b, 1, 2]]);
  });

  it('claims with the endpoint’s secrets, and a claim whose lease ran out can be taken again', async () => {
    const tx = randomUUID();
    await queue([{ transactionId: tx, seq: 1 }]);
    const [first] = await claim();
    expect(first).toMatchObject({ transaction_id: tx, attempts: 1, secret_enc: expect.any(String), previous_secret_enc: null });
    now = new Date(now.getTime() + LEASE_MS + 1000);
    const [again] = await claim();
    expect(again).toMatchObject({ id: first!.id, attempts: 2 });
    // The first worker's late outcome no longer decides the message's state.
    await record([outcome(first!, 'failed')]);
    const row = await db
      .selectFrom('webhook_deliveries')
      .select(['status', 'attempts'])
      .where('id', '=', first!.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'pending', attempts: 2 });
    await record([outcome(again!, 'delivered')]);
    expect(await db.selectFrom('webhook_chains').selectAll().where('transaction_id', '=', tx).execute()).toEqual([]);
  });

  it('puts a replayed message back before the later ones of its transaction', async () => {
    const tx = randomUUID();
    await queue([
      { transactionId: tx, seq: 1 },
      { transactionId: tx, seq: 2 },
    ]);
    const [one] = await claim();
    await record([outcome(one!, 'failed')]);
    const [two] = await claim();
    expect(two).toMatchObject({ seq: 2 });
    await record([outcome(two!, 'pending', new Date(now.getTime() + HOUR))]); // seq 2 waits for its retry
    await db.transaction().execute((trx) => requeueDeliveries(trx, { id: one!.id, now: tick() }));
    const [replayed, ...rest] = await claim();
    expect(rest).toEqual([]);
    expect(replayed).toMatchObject({ id: one!.id, next_trigger: 'manual' });
    await record([outcome(replayed!, 'delivered')]);
    server.clock.advance(2 * HOUR);
    now = server.clock.now();
    expect(seqsOf(await claim())).toEqual([`${tx}/2`]);
  });

  it('parks a disabled endpoint’s heads and makes them claimable again, in order, when it is enabled', async () => {
    const tx = randomUUID();
    await queue([
      { transactionId: tx, seq: 1 },
      { transactionId: tx, seq: 2 },
    ]);
    await db
      .updateTable('webhook_endpoints')
      .set({ enabled: false, disabled_reason: 'gone' })
      .where('partner_id', '=', partnerId)
      .execute();
    expect(await claim()).toEqual([]);
    const parked = await db
      .selectFrom('webhook_deliveries')
      .select(['seq', 'claimable_at'])
      .where('transaction_id', '=', tx)
      .orderBy('seq')
      .execute();
    expect(parked).toEqual([
      { seq: 1, claimable_at: null },
      { seq: 2, claimable_at: null },
    ]);
    await queue([{ transactionId: null, seq: 0 }]); // a test event queued while disabled waits too
    expect(await claim()).toEqual([]);
    expect(await db.transaction().execute((trx) => enableEndpoint(trx, { partnerId, now: tick() }))).toBe(3);
    const released = await claim();
    expect(released.map((delivery) => delivery.seq).sort()).toEqual([0, 1]);
  });

  it.runIf(onPostgres)('makes a message queued while its predecessor is being recorded the head exactly once', async () => {
    const tx = randomUUID();
    await queue([{ transactionId: tx, seq: 1 }]);
    const [one] = await claim();
    // The status change that queues seq 2 holds its transaction open while the attempt of seq 1 is recorded.
    let commitQueuing!: () => void;
    const queued = new Promise<void>((resolve) => (commitQueuing = resolve));
    let queuedInside!: () => void;
    const inside = new Promise<void>((resolve) => (queuedInside = resolve));
    const queuing = db.transaction().execute(async (trx) => {
      await enqueueWebhooks(trx, [{ partnerId, transactionId: tx, seq: 2, eventType: 'tx.update', payload: {}, now: tick() }]);
      queuedInside();
      await queued;
    });
    await inside;
    const recording = record([outcome(one!, 'delivered')]);
    // The recording waits for the chain row the queuing holds.
    const early = await Promise.race([
      recording.then(() => 'recorded'),
      new Promise((resolve) => setTimeout(() => resolve('waiting'), 300)),
    ]);
    expect(early).toBe('waiting');
    commitQueuing();
    await Promise.all([queuing, recording]);
    expect(seqsOf(await claim())).toEqual([`${tx}/2`]);
    expect(await db.selectFrom('webhook_chains').select('pending').where('transaction_id', '=', tx).execute()).toEqual([{ pending: 1 }]);
  });

  it('reads only the due heads however many messages wait behind failing ones', async () => {
    // 1,000 transactions whose first message is retrying in an hour, each with 10 messages behind it.
    const transactions = Array.from({ length: 1000 }, () => randomUUID());
    for (let from = 0; from < transactions.length; from += 100) {
      await queue(
        transactions
          .slice(from, from + 100)
          .flatMap((transactionId) => Array.from({ length: 11 }, (_, i) => ({ transactionId, seq: i + 1 }))),
      );
    }
    for (;;) {
      const heads = await claim(500);
      if (heads.length === 0) break;
      await record(heads.map((head) => outcome(head, 'pending', new Date(now.getTime() + HOUR))));
    }
    const due = randomUUID();
    await queue([{ transactionId: due, seq: 1 }]);
    const plan = await explainAnalyze(claimStatement({ now: tick(), limit: 128, leaseMs: LEASE_MS, exclude: [] }));
    const readFromDeliveries = rowsRead(plan, 'webhook_deliveries');
    expect(readFromDeliveries, JSON.stringify(plan)).toBeLessThan(50);
    expect(seqsOf(await claim())).toEqual([`${due}/1`]);
  });

  it('claims update their messages in place: no index entries per claim', async () => {
    const transactions = Array.from({ length: 300 }, () => randomUUID());
    await queue(transactions.map((transactionId) => ({ transactionId, seq: 1 })));
    // The backend's counts not yet reported (pg_stat_xact_user_tables), before and after the claim:
    // they may still hold an earlier transaction's, but nothing reports them mid-transaction.
    const trx = await db.startTransaction().execute();
    const counts = async () =>
      (
        await sql<{ updated: number; in_place: number }>`
          select n_tup_upd::int as updated, n_tup_hot_upd::int as in_place
          from pg_stat_xact_user_tables where relid = 'webhook_deliveries'::regclass`.execute(trx)
      ).rows[0]!;
    try {
      const before = await counts();
      expect(await claimDeliveries(trx, { now: tick(), limit: 500, leaseMs: LEASE_MS, exclude: [] })).toHaveLength(300);
      const after = await counts();
      const [updated, in_place] = [after.updated - before.updated, after.in_place - before.in_place];
      expect(updated).toBe(300);
      // At 80% full a page had room for about one claim in four.
      expect(in_place, 'claims updated in place (HOT)').toBeGreaterThanOrEqual(290);
    } finally {
      await trx.rollback().execute();
    }
  });

  it('records a batch in time that grows with the batch, not with its square', async () => {
    // 300 transactions, each finishing its first message: the recording locks 300 chain rows.
    const transactions = Array.from({ length: 300 }, () => randomUUID());
    await queue(transactions.flatMap((transactionId) => [1, 2].map((seq) => ({ transactionId, seq }))));
    const heads = await claim(500);
    expect(heads).toHaveLength(300);
    const plan = await explainAnalyze(recordStatement(heads.map((head) => outcome(head, 'delivered'))));
    // The locked chains are read once (to count them before any message is updated), not once per
    // message: 90,000 rows when the count was joined to every message.
    expect(cteRowsRead(plan, 'locked'), 'rows read from the locked chains').toBe(300);
  });
});

/** Rows read from the CTE `name` over all its scans and their loops. */
function cteRowsRead(plan: unknown, name: string): number {
  return sumOverPlan(plan, (node) =>
    node['Node Type'] === 'CTE Scan' && node['CTE Name'] === name ? (node['Actual Rows'] ?? 0) * (node['Actual Loops'] ?? 1) : 0,
  );
}

/** Rows the plan read from `table` (its scans' actual rows plus the rows their filters removed). */
function rowsRead(plan: unknown, table: string): number {
  return sumOverPlan(plan, (node) =>
    node['Relation Name'] === table ? (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) : 0,
  );
}

/** `count` summed over every node of a JSON plan. */
function sumOverPlan(plan: unknown, count: (node: any) => number): number {
  let total = 0;
  const visit = (node: any) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    total += count(node);
    for (const value of Object.values(node)) visit(value);
  };
  visit(plan);
  return total;
}
