import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CreatedPartner,
  childDatabase,
  createPartner,
  forEachLimited,
  type ProofChild,
  startProofServe,
  waitUntil,
} from './helpers/proof-child.ts';
import { ADMIN_TOKEN, type HttpResult, request, sessionBody } from './helpers/test-platform.ts';
import { answer, type ReceivedHook, signatureValid, startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

/**
 * The outbox promise, tested the hard way: a real `proof serve` child is SIGKILLed in the middle of
 * a stream of status changes, restarted on the same data, and every committed change must still
 * reach the partner's endpoint (at least once, in order per transaction). Then a receiver that
 * fails for a while must still get everything once it recovers, through the retry schedule
 * (driven by moving the sandbox clock instead of waiting minutes).
 */

const TRANSACTIONS = 500; // × (pending → processing → completed) = 1,000 status changes
const KILL_AFTER = 400; // acknowledged changes before the SIGKILL
const CONCURRENCY = 8;
const STEPS = ['processing', 'completed'] as const;
const FLAKY_TRANSACTIONS = 50;

const dbLabel = process.env.PROOF_TEST_DB === 'postgres' ? 'PostgreSQL' : 'embedded database';

interface Tx {
  id: string;
  /** How many of STEPS are known to have committed. */
  done: number;
  /** A change was in flight when the server died: whether it committed is unknown until read back. */
  uncertain: boolean;
}

/** Statuses in arrival order with repeats collapsed: at-least-once may repeat, never reorder. */
function collapsed(hooks: ReceivedHook[]): string[] {
  const statuses: string[] = [];
  for (const hook of hooks) if (statuses.at(-1) !== hook.json.status) statuses.push(hook.json.status);
  return statuses;
}

function byTransaction(hooks: ReceivedHook[]): Map<string, ReceivedHook[]> {
  const map = new Map<string, ReceivedHook[]>();
  for (const hook of hooks) {
    const list = map.get(hook.json.merchant_transaction_id) ?? [];
    list.push(hook);
    map.set(hook.json.merchant_transaction_id, list);
  }
  return map;
}

describe(`webhook delivery through a crash and a failing receiver (proof serve child, ${dbLabel})`, () => {
  let dataDir: string;
  let env: Record<string, string>;
  let dropDatabase: () => Promise<void> = async () => {};
  let receiver: WebhookReceiver;
  let flakyFailing = true;
  const children: ProofChild[] = [];
  let server: ProofChild;

  const move = (id: string, status: string) =>
    request(`${server.url}/admin/sandbox/transactions/${id}/status`, { token: ADMIN_TOKEN, body: { status } });
  const advanceClock = async (seconds: number) => {
    const moved = await request(`${server.url}/admin/sandbox/clock`, { token: ADMIN_TOKEN, body: { advance_seconds: seconds } });
    expect(moved.status).toBe(200);
  };
  const createSessions = async (partner: CreatedPartner, count: number, prefix: string): Promise<string[]> => {
    const ids: string[] = [];
    await forEachLimited(
      Array.from({ length: count }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        const user = `${prefix}-${i % 25}`;
        const session = await request(`${server.url}/widget/session`, {
          token: partner.client_token,
          body: sessionBody({ partner_user_id: user, user_email: `${user}@example.com` }),
        });
        if (session.status !== 200) throw new Error(`session: ${session.status} ${JSON.stringify(session.body)}`);
        ids.push(session.body.merchant_transaction_id);
      },
    );
    return ids;
  };
  const start = async () => {
    server = await startProofServe(env);
    children.push(server);
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'proof-crash-'));
    receiver = await startWebhookReceiver({ respond: answer((hook) => (hook.path === '/flaky' && flakyFailing ? 500 : 204)) });
    const database = await childDatabase();
    dropDatabase = database.drop;
    env = {
      ...database.env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      SANDBOX_TOOLS: 'true',
      WEBHOOK_POLL_INTERVAL: '50ms',
      RATE_LIMIT_PER_MINUTE: '1000000',
    };
    await start();
  }, 90_000);

  afterAll(async () => {
    await Promise.all(children.map((child) => child.kill()));
    await receiver?.close();
    await dropDatabase();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it(`delivers all ${TRANSACTIONS * STEPS.length} status changes although the server is SIGKILLed after ${KILL_AFTER}`, {
    timeout: 180_000,
  }, async () => {
    const started = Date.now();
    const partner = await createPartner(server.url, `${receiver.url}/crash`);
    const txs: Tx[] = (await createSessions(partner, TRANSACTIONS, 'crash')).map((id) => ({ id, done: 0, uncertain: false }));
    const sessionsDone = Date.now();

    // Phase 1: changes until the KILL_AFTER-th is acknowledged, then SIGKILL with others in flight.
    let acknowledged = 0;
    let killed = false;
    const firstServer = server;
    await forEachLimited(
      txs,
      CONCURRENCY,
      async (tx) => {
        while (tx.done < STEPS.length && !killed) {
          let result: HttpResult;
          try {
            result = await move(tx.id, STEPS[tx.done]!);
          } catch (error) {
            if (!killed) throw error;
            tx.uncertain = true; // sent, never answered: maybe committed, maybe not
            return;
          }
          if (result.status !== 200) throw new Error(`${tx.id} → ${STEPS[tx.done]}: ${result.status} ${JSON.stringify(result.body)}`);
          tx.done++;
          if (++acknowledged === KILL_AFTER) {
            killed = true;
            firstServer.process.kill('SIGKILL');
          }
        }
      },
      () => killed,
    );
    expect(await firstServer.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const deliveredBeforeKill = new Set(receiver.received.filter((hook) => hook.path === '/crash').map((hook) => hook.id)).size;
    const killedAt = Date.now();
    const phase1 = killedAt - sessionsDone;

    // Phase 2: the same data, a new process. Deliveries leased by the dead process stay leased for
    // the lease time (60 s); the sandbox clock skips it instead of the test waiting.
    await start();
    const restarted = Date.now();
    await advanceClock(61);
    // Read every transaction back: an acknowledged change must have survived the kill, and a change
    // in flight at the kill may or may not have committed (the read decides what is left to do).
    const uncertain = txs.filter((tx) => tx.uncertain);
    let committedUnacknowledged = 0;
    const lost: string[] = [];
    await forEachLimited(txs, CONCURRENCY, async (tx) => {
      const read = await request(`${server.url}/widget/transactions/${tx.id}`, { token: partner.client_token });
      expect(read.status).toBe(200);
      const reached = ['pending', ...STEPS].indexOf(read.body.status);
      if (reached < tx.done) lost.push(`${tx.id}: acknowledged ${STEPS[tx.done - 1] ?? 'nothing'}, found ${read.body.status}`);
      if (reached > tx.done) {
        expect(tx.uncertain).toBe(true);
        committedUnacknowledged++;
      }
      tx.done = reached;
    });
    expect(lost).toEqual([]);
    const readBack = Date.now();
    let conflicts = 0;
    await forEachLimited(txs, CONCURRENCY, async (tx) => {
      while (tx.done < STEPS.length) {
        const result = await move(tx.id, STEPS[tx.done]!);
        if (result.status === 409 && result.body.code === 'illegal_transition')
          conflicts++; // it had committed
        else if (result.status !== 200) throw new Error(`${tx.id} → ${STEPS[tx.done]}: ${result.status} ${JSON.stringify(result.body)}`);
        tx.done++;
      }
    });
    const changesDone = Date.now();

    // Every (transaction, status) acknowledged with a 2xx, within a bounded wait.
    const txIds = new Set(txs.map((tx) => tx.id));
    const acked = () =>
      new Set(
        receiver.received
          .filter((hook) => hook.path === '/crash' && hook.answered !== null && hook.answered < 300)
          .map((hook) => `${hook.json.merchant_transaction_id}/${hook.json.status}`),
      );
    await waitUntil(
      () => acked().size >= txs.length * STEPS.length,
      60_000,
      () => `${acked().size} of ${txs.length * STEPS.length} events received\n${server.output()}`,
    );
    const allDelivered = Date.now();

    const hooks = receiver.received.filter((hook) => hook.path === '/crash');
    const perTx = byTransaction(hooks);
    expect([...perTx.keys()].filter((id) => !txIds.has(id))).toEqual([]); // nothing invented
    const outOfOrder = [...txIds].filter((id) => collapsed(perTx.get(id) ?? []).join() !== STEPS.join());
    expect(outOfOrder.map((id) => ({ id, statuses: (perTx.get(id) ?? []).map((hook) => hook.json.status) }))).toEqual([]);
    // A repeat is the same delivery again (same webhook-id), so receivers can de-duplicate it.
    const idsPerEvent = new Map<string, Set<string>>();
    for (const hook of hooks) {
      const key = `${hook.json.merchant_transaction_id}/${hook.json.status}`;
      idsPerEvent.set(key, (idsPerEvent.get(key) ?? new Set()).add(hook.id));
    }
    expect([...idsPerEvent].filter(([, ids]) => ids.size !== 1)).toEqual([]);
    expect(hooks.filter((hook) => !signatureValid(hook, partner.webhook_secret))).toEqual([]);

    const repeats = hooks.length - idsPerEvent.size;
    console.log(
      `[crash ${dbLabel}] ${TRANSACTIONS} sessions ${sessionsDone - started} ms; ${acknowledged} changes acknowledged before SIGKILL in ${phase1} ms ` +
        `(${deliveredBeforeKill} webhooks received by then), ${uncertain.length} in flight at the kill of which ${committedUnacknowledged} had committed; ` +
        `restart ${restarted - killedAt} ms, read-back ${readBack - restarted} ms, remaining changes ${changesDone - readBack} ms; ${conflicts} illegal_transition replies; all changes done ${changesDone - started} ms, ` +
        `all ${idsPerEvent.size} events received ${allDelivered - started} ms after start; ${repeats} repeated attempts`,
    );
  });

  it('retries a receiver that answers 500, and delivers everything in order once it recovers', { timeout: 90_000 }, async () => {
    const partner = await createPartner(server.url, `${receiver.url}/flaky`);
    const ids = await createSessions(partner, FLAKY_TRANSACTIONS, 'flaky');
    // All changes commit while the receiver fails (every transaction ends terminal: no expiry job
    // interferes once the clock moves).
    await forEachLimited(ids, CONCURRENCY, async (id) => {
      for (const status of STEPS) expect((await move(id, status)).status).toBe(200);
    });
    const flaky = () => receiver.received.filter((hook) => hook.path === '/flaky');
    const failedAttempts = (id: string) =>
      flaky().filter((hook) => hook.json.merchant_transaction_id === id && hook.answered === 500).length;

    // First attempts fail; the completed events wait behind their transaction's failing one.
    await waitUntil(
      () => ids.every((id) => failedAttempts(id) >= 1),
      30_000,
      () => `${ids.filter((id) => failedAttempts(id) >= 1).length} of ${ids.length} first attempts`,
    );
    // The first retry comes 5 s (±10 %) later: move the clock instead of waiting.
    await advanceClock(6);
    await waitUntil(
      () => ids.every((id) => failedAttempts(id) >= 2),
      30_000,
      () => `${ids.filter((id) => failedAttempts(id) >= 2).length} of ${ids.length} second attempts`,
    );
    expect(flaky().filter((hook) => hook.json.status !== 'processing')).toEqual([]);

    // The receiver recovers; the next retry is 5 min (±10 %) away. An attempt recorded just as the
    // clock moved may be scheduled from the new time, hence a bounded repeat.
    flakyFailing = false;
    const acked = () =>
      new Set(
        flaky()
          .filter((hook) => hook.answered !== null && hook.answered < 300)
          .map((hook) => `${hook.json.merchant_transaction_id}/${hook.json.status}`),
      );
    for (let round = 0; round < 4 && acked().size < ids.length * STEPS.length; round++) {
      await advanceClock(360);
      await waitUntil(
        () => acked().size >= ids.length * STEPS.length,
        5_000,
        () => '',
      ).catch(() => {});
    }
    expect(acked().size).toBe(ids.length * STEPS.length);

    const perTx = byTransaction(flaky());
    for (const id of ids) {
      const hooks = perTx.get(id)!;
      // 500, 500, then the same delivery answered 2xx, and only then the completed event.
      expect(hooks.map((hook) => `${hook.json.status}:${hook.answered}`)).toEqual([
        'processing:500',
        'processing:500',
        'processing:204',
        'completed:204',
      ]);
      expect(new Set(hooks.slice(0, 3).map((hook) => hook.id)).size).toBe(1);
    }
    expect(flaky().filter((hook) => !signatureValid(hook, partner.webhook_secret))).toEqual([]);

    // The operator's view agrees: every delivery delivered, with its attempts recorded. The receiver
    // acknowledges before the worker records the attempt, so the last records may lag a moment.
    const list = async () => {
      const listed = await request(`${server.url}/admin/webhooks/deliveries?partner_id=${partner.partner_id}&limit=1000`, {
        token: ADMIN_TOKEN,
      });
      expect(listed.status).toBe(200);
      return listed.body.deliveries as Array<{ id: string; seq: number; status: string; attempts: number }>;
    };
    let deliveries = await list();
    await waitUntil(
      async () => (deliveries = await list()).every((delivery) => delivery.status === 'delivered'),
      10_000,
      () => 'every delivery recorded as delivered',
    );
    expect(deliveries).toHaveLength(ids.length * STEPS.length);
    expect(deliveries.filter((delivery) => delivery.status !== 'delivered')).toEqual([]);
    expect(deliveries.map((delivery) => delivery.attempts).sort()).toEqual([...Array(ids.length).fill(1), ...Array(ids.length).fill(3)]);
    const one = await request(`${server.url}/admin/webhooks/deliveries/${perTx.get(ids[0]!)![0]!.id}`, { token: ADMIN_TOKEN });
    expect(one.body.attempts.map((attempt: { status_code: number }) => attempt.status_code)).toEqual([500, 500, 204]);
  });
});
