import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkerLoop } from '../src/lib/worker-loop.ts';
import type { TransactionEvent } from '../src/modules/delivery/event-bus.ts';
import { retryTransferNow } from '../src/modules/settlement/settlement-operations.ts';
import { SettlementWorker } from '../src/modules/settlement/settlement-worker.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * What wakes the settlement worker before its next poll: a committed move to processing (a buy's
 * capture queues its transfer in that same database transaction) and an operator's retry, never
 * the other status changes, each of which would otherwise cost a claim (a burst of a hundred
 * changes cost a hundred). The poll interval is an hour here, so only a wake-up can run a round.
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
  const server = useServerWithPartner({ env: { SETTLEMENT_POLL_INTERVAL: '1h' } });
  let worker: SettlementWorker | null = null;
  const publish = async (events: TransactionEvent[]) => {
    const { platform } = server;
    await platform.db.transaction().execute((trx) => platform.bus.publishInTransaction(trx, events));
    platform.bus.afterCommit(events);
  };

  afterEach(async () => {
    await worker?.stop();
    vi.restoreAllMocks();
  });

  it('wakes on a move to processing and on a retry, not on other status changes', async () => {
    worker = new SettlementWorker(server.platform);
    worker.start();
    const wakes = vi.spyOn(WorkerLoop.prototype, 'wake');

    // Published as a status change is, in one database transaction; events arrive in commit order, so
    // once the processing one has woken the worker, the three before it have been heard (and ignored).
    await publish([change('pending', 1), change('completed', 2), change('failed', 3)]);
    server.platform.outboxNotifier.notify();
    await publish([change('processing', 4)]);
    await vi.waitFor(() => expect(wakes).toHaveBeenCalled(), { timeout: 5_000 });
    expect(wakes).toHaveBeenCalledTimes(1);

    // A retry of a transfer that does not exist changes nothing and wakes nobody; one that is due would.
    expect(await retryTransferNow(server.platform, 'trf_none')).toBe(false);
    expect(wakes).toHaveBeenCalledTimes(1);
    server.platform.transferNotifier.notify();
    expect(wakes).toHaveBeenCalledTimes(2);
  });

  it('stops listening when stopped', async () => {
    worker = new SettlementWorker(server.platform);
    worker.start();
    await worker.stop();
    const wakes = vi.spyOn(WorkerLoop.prototype, 'wake');
    const heard: TransactionEvent[] = [];
    const unsubscribe = server.platform.bus.subscribe((event) => heard.push(event));
    await publish([change('processing', 5)]);
    server.platform.transferNotifier.notify();
    await vi.waitFor(() => expect(heard).toHaveLength(1), { timeout: 5_000 });
    unsubscribe();
    expect(wakes).not.toHaveBeenCalled();
  });
});
