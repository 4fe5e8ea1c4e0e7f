import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkerLoop } from '../src/lib/worker-loop.ts';
import type { TransactionEvent } from '../src/modules/delivery/event-bus.ts';
import { retryTransferNow } from '../src/modules/settlement/settlement-operations.ts';
import { SettlementWorker } from '../src/modules/settlement/settlement-worker.ts';
import { payBuy, SETTLEMENT_ENV, transferOf } from './helpers/settlement-kit.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * What wakes the settlement worker before its next poll: a capture that queued a transfer, and an
 * operator's retry, never a status change as such (a burst of a hundred changes cost a hundred
 * claims when every change woke it). The poll interval is an hour here, so only a wake-up runs a round.
 */

const change = (status: string, seq: number): TransactionEvent => ({
  partnerId: 'ptn_test',
  transactionId: `txn_wake_${seq}`,
  partnerUserId: 'user-wake',
  seq,
  terminal: status === 'completed' || status === 'failed',
  message: { event: 'tx.update', merchant_transaction_id: `wake-${seq}`, status },
});

describe('waking the settlement worker', () => {
  const server = useServerWithPartner({ background: true, env: { ...SETTLEMENT_ENV, SETTLEMENT_POLL_INTERVAL: '1h' } });
  let worker: SettlementWorker | null = null;

  afterEach(async () => {
    await worker?.stop();
    worker = null;
    vi.restoreAllMocks();
  });

  it('a captured payment wakes the worker, which sends the transfer at once', async () => {
    const buy = await payBuy(server);
    await vi.waitFor(async () => expect((await transferOf(server, buy.id)).status).not.toBe('queued'), { timeout: 10_000 });
  });

  it('status changes do not wake it; the transfer notifier (a capture, a retry) does', async () => {
    await server.background!.settlement.stop();
    worker = new SettlementWorker(server.platform);
    worker.start();
    const wakes = vi.spyOn(WorkerLoop.prototype, 'wake');
    const events = ['pending', 'processing', 'completed', 'failed'].map((status, index) => change(status, index + 1));
    await server.platform.db.transaction().execute((trx) => server.platform.bus.publishInTransaction(trx, events));
    server.platform.bus.afterCommit(events);
    server.platform.outboxNotifier.notify();
    const heard: TransactionEvent[] = [];
    const unsubscribe = server.platform.bus.subscribe((event) => heard.push(event));
    const last = [change('completed', 9)];
    await server.platform.db.transaction().execute((trx) => server.platform.bus.publishInTransaction(trx, last));
    server.platform.bus.afterCommit(last);
    // Events arrive in commit order: once the last one is heard, every one before it has been too.
    await vi.waitFor(() => expect(heard.map((event) => event.seq)).toContain(9), { timeout: 5_000 });
    unsubscribe();
    expect(wakes.mock.contexts.filter((loop) => loop === workerLoop(worker!))).toHaveLength(0);

    // A retry of a transfer that does not exist changes nothing and wakes nobody.
    expect(await retryTransferNow(server.platform, 'trf_none')).toBe(false);
    expect(wakes.mock.contexts.filter((loop) => loop === workerLoop(worker!))).toHaveLength(0);
    server.platform.transferNotifier.notify();
    expect(wakes.mock.contexts.filter((loop) => loop === workerLoop(worker!))).toHaveLength(1);
  });
});

/** The worker's loop, to tell its wake-ups from the other workers' (the webhook worker's run here too). */
function workerLoop(worker: SettlementWorker): WorkerLoop {
  return (worker as unknown as { loop: WorkerLoop }).loop;
}
