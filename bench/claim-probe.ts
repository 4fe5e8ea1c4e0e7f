import { randomUUID } from 'node:crypto';
import { type Db, openDatabase } from '../packages/server/src/db/database.ts';
import { type AttemptOutcome, claimDeliveries, recordAttempts } from '../packages/server/src/modules/delivery/delivery-queue.ts';
import { enqueueWebhooks, type WebhookToQueue } from '../packages/server/src/modules/delivery/outbox.ts';

/**
 * The webhook claim's cost against what waits behind failing messages, for bench:delivery. It works
 * in the benchmark server's own PostgreSQL schema, beside the running server, through the server's
 * own queue functions:
 * - the bare figure: a claim that finds DUE fresh heads, with nothing blocked;
 * - then BLOCKED_CHAINS transactions are queued whose first message failed and retries in an hour,
 *   each with BEHIND messages behind it (queued, claimed and failed in one database transaction, so
 *   the server's worker never sees them due);
 * - the same claim again, and a claim that finds nothing due (what every idle poll does).
 * Each timed claim runs in a transaction rolled back after, so the server never sees what it claimed.
 */

const BLOCKED_CHAINS = 1000;
const BEHIND = 10;
const DUE = 64;
const SAMPLES = 200;
const HOUR = 3_600_000;

export interface ClaimProbe {
  blocked: number;
  bare: number[];
  withBlocked: number[];
  idleWithBlocked: number[];
}

export async function probeClaims(url: string, schema: string, partnerId: string): Promise<ClaimProbe> {
  const { db, close } = await openDatabase({ url, schema, poolSize: 2 });
  try {
    const bare = await timeClaims(db, partnerId, DUE);
    const blocked = await blockChains(db, partnerId);
    const withBlocked = await timeClaims(db, partnerId, DUE);
    const idleWithBlocked = await timeClaims(db, partnerId, 0);
    return { blocked, bare, withBlocked, idleWithBlocked };
  } finally {
    await close();
  }
}

const queued = (partnerId: string, transactionId: string, seq: number, now: Date): WebhookToQueue => ({
  partnerId,
  transactionId,
  seq,
  eventType: 'tx.update',
  payload: { bench: 'claim', seq },
  now,
});

/** Queues the blocked chains; answers how many messages wait behind their failing heads. */
async function blockChains(db: Db, partnerId: string): Promise<number> {
  const now = new Date();
  const retry = new Date(now.getTime() + HOUR);
  await db.transaction().execute(async (trx) => {
    // In slices: one insert of every message would pass PostgreSQL's limit on parameters.
    for (let done = 0; done < BLOCKED_CHAINS; done += 100) {
      const chains = Array.from({ length: Math.min(100, BLOCKED_CHAINS - done) }, () => randomUUID());
      await enqueueWebhooks(
        trx,
        chains.flatMap((id) => Array.from({ length: BEHIND + 1 }, (_, seq) => queued(partnerId, id, seq + 1, now))),
      );
      const heads = await claimDeliveries(trx, { now, limit: chains.length, leaseMs: HOUR, exclude: [] });
      if (heads.length !== chains.length) throw new Error(`claimed ${heads.length} heads, expected ${chains.length}`);
      await recordAttempts(
        trx,
        heads.map(
          (head): AttemptOutcome => ({
            delivery: head,
            startedAt: now,
            finishedAt: now,
            statusCode: 503,
            latencyMs: 1,
            error: 'HTTP 503',
            status: 'pending',
            nextAttemptAt: retry,
            claimable: true,
          }),
        ),
      );
    }
  });
  return BLOCKED_CHAINS * BEHIND;
}

/** Times SAMPLES claims of up to 64, each finding `due` fresh heads, each rolled back. */
async function timeClaims(db: Db, partnerId: string, due: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const trx = await db.startTransaction().execute();
    try {
      const now = new Date();
      if (due > 0)
        await enqueueWebhooks(
          trx,
          Array.from({ length: due }, () => queued(partnerId, randomUUID(), 1, now)),
        );
      const started = performance.now();
      const claimed = await claimDeliveries(trx, { now, limit: 64, leaseMs: 25_000, exclude: [] });
      times.push(performance.now() - started);
      if (claimed.length < due) throw new Error(`claimed ${claimed.length} of ${due} due heads`);
    } finally {
      await trx.rollback().execute();
    }
  }
  return times;
}
