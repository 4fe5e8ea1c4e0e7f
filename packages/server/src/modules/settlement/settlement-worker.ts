import { WorkerLoop } from '../../lib/worker-loop.ts';
import type { Platform } from '../../platform.ts';
import { advanceTransfer } from './advance-transfer.ts';
import { claimDueTransfers, endClaim, type TransferIntent } from './transfer-store.ts';

/** Transfers one claim takes. */
const CLAIM_BATCH = 16;
/** Transfers one node works on at once (signatures of one wallet still go one at a time, under its nonce lock). */
const CONCURRENCY = 4;
/**
 * How long a claimed transfer belongs to this worker; after a crash another node takes it then. A
 * round is a few node calls; one that outlives its lease is harmless (every write is conditional,
 * nonces are unique in the database, and the same bytes sent twice are one transfer).
 */
const LEASE_MS = 15_000;

/**
 * Sends the crypto of paid buys and follows each transfer to its confirmation depth (or its refund).
 * Transfers are leased (FOR UPDATE SKIP LOCKED: the workers of several nodes never take the same one
 * at once), worked on a round at a time (advance-transfer.ts) and scheduled again in the database:
 * nothing waits in memory, so a restart loses nothing. Woken (platform.transferNotifier) when this
 * node committed a capture, which queues its transfer in the same database transaction, or an
 * operator's retry; status changes leave it alone (a burst of them cost a claim each when they woke
 * it). Polls every SETTLEMENT_POLL_INTERVAL for confirmations, and for transfers queued elsewhere.
 */
export class SettlementWorker {
  private readonly platform: Platform;
  private readonly loop: WorkerLoop;

  constructor(platform: Platform) {
    this.platform = platform;
    this.loop = new WorkerLoop({
      failure: 'settlement worker round failed',
      logger: platform.logger,
      round: () => this.round(),
      pollIntervalMs: () => platform.config.settlementPollIntervalMs,
      notifier: platform.transferNotifier,
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Works until no transfer is due; exposed so tests drive it deterministically. Returns how many rounds it ran. */
  drain(): Promise<number> {
    return this.loop.drain();
  }

  /** One claim and a round on each transfer it got. */
  private async round(): Promise<number> {
    const { platform } = this;
    const claim = { now: platform.clock.now(), limit: CLAIM_BATCH, leaseMs: LEASE_MS, exclude: [] };
    const claimed = await platform.db.transaction().execute((trx) => claimDueTransfers(trx, claim));
    let next = 0;
    const lanes = Array.from({ length: Math.min(CONCURRENCY, claimed.length) }, async () => {
      while (next < claimed.length) await this.work(claimed[next++]!);
    });
    await Promise.all(lanes);
    return claimed.length;
  }

  private async work(transfer: TransferIntent): Promise<void> {
    const { platform } = this;
    try {
      const outcome = await advanceTransfer(platform, transfer);
      await endClaim(platform.db, { id: transfer.id, attempts: transfer.attempts }, { ...outcome, now: platform.clock.now() });
    } catch (error) {
      // Only the bookkeeping of the round can land here (the database unreachable); the lease runs out and the transfer is taken again.
      platform.logger.error({ err: error, transferId: transfer.id }, 'settlement round could not be recorded');
    }
  }
}
