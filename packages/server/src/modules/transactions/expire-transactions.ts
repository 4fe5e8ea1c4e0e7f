import { setImmediate as yieldToOtherWork } from 'node:timers/promises';
import type { Platform } from '../../platform.ts';
import { announceStatusChanges } from './change-status.ts';
import { recordStatusChanges } from './record-status-changes.ts';
import { checkTransition } from './state-machine.ts';
import type { TransactionType } from './transaction-status.ts';
import { failExpiredPending } from './transaction-store.ts';

/** Why an expired transaction failed, per type (checked against the state machine below). */
const EXPIRY_REASONS: Record<TransactionType, string> = { buy: 'session_expired', sell: 'deposit_expired' };
for (const type of ['buy', 'sell'] as const) {
  const check = checkTransition(type, 'pending', 'failed', EXPIRY_REASONS[type]);
  if (!check.ok) throw new Error(`expiry is not a legal move: ${check.problem}`);
}

/**
 * Rows per database transaction. On PostgreSQL a batch of 500 takes tens of milliseconds on its own
 * connection. The embedded database runs each query on this process's thread and serves one caller
 * at a time, so its batches are smaller: they bound how long a request waits behind the job (see
 * docs/benchmarks.md).
 */
export const EXPIRY_BATCH_SIZE = { postgres: 500, pglite: 50 } as const;

export interface ExpiryOptions {
  batchSize?: number;
  /** Tests only: runs after each committed batch with the number it expired. */
  afterBatch?: (expired: number) => void | Promise<void>;
}

/**
 * Fails sessions that can no longer complete: a buy still pending once its init token has expired
 * (the user can no longer load the widget to pay; payment windows extend this when payments land),
 * and a sell whose deposit window (SELL_DEPOSIT_WINDOW, default 6 h) has passed.
 *
 * Set-wise and until done: each batch is one database transaction of a few statements (the update,
 * the history, the webhooks, the notifications), and the job yields between batches so that other
 * queries, on the embedded database especially, are served in between. Safe on every node at once:
 * rows another node is changing are skipped.
 */
export async function expireTransactions(platform: Platform, options: ExpiryOptions = {}): Promise<number> {
  const limit = options.batchSize ?? EXPIRY_BATCH_SIZE[platform.dbKind];
  let total = 0;
  for (;;) {
    const now = platform.clock.now();
    const sellCutoff = new Date(now.getTime() - platform.config.sellDepositWindowMs);
    const events = await platform.db.transaction().execute(async (trx) => {
      const rows = await failExpiredPending(trx, { now, sellCutoff, limit, reasons: EXPIRY_REASONS });
      return recordStatusChanges(
        platform,
        trx,
        rows.map((row) => ({ row, reason: EXPIRY_REASONS[row.type] })),
        now,
      );
    });
    announceStatusChanges(platform, events);
    total += events.length;
    await options.afterBatch?.(events.length);
    if (events.length < limit) return total;
    await yieldToOtherWork();
  }
}
