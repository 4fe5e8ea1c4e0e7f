import { describe, expect, it } from 'vitest';
import { canMove, isFinal, pickNonce, type RecordedTransfer, reconcile, retryDelayMs } from './transfer-machine.ts';
import { TRANSFER_STATUSES } from './transfer-vocabulary.ts';

const recorded = (overrides: Partial<RecordedTransfer> = {}): RecordedTransfer => ({
  status: 'broadcast',
  nonce: 7n,
  minedBlock: null,
  minedBlockHash: null,
  nonceLostAtHead: null,
  ...overrides,
});

const mined = (
  blockNumber: bigint,
  head: bigint,
  overrides: { blockHash?: string; success?: boolean; canonicalHash?: string | null } = {},
) => ({
  state: 'mined' as const,
  blockNumber,
  blockHash: overrides.blockHash ?? `0xb${blockNumber}`,
  success: overrides.success ?? true,
  head,
  canonicalHash: overrides.canonicalHash === undefined ? (overrides.blockHash ?? `0xb${blockNumber}`) : overrides.canonicalHash,
});

describe('transfer machine', () => {
  it('allows exactly the documented moves', () => {
    const legal = new Set([
      'queued>reserved',
      'queued>refunding',
      'reserved>signed',
      'reserved>queued',
      'reserved>refunding',
      'signed>broadcast',
      'signed>mined',
      'signed>confirmed',
      'signed>queued',
      'signed>refunding',
      'broadcast>mined',
      'broadcast>confirmed',
      'broadcast>queued',
      'broadcast>refunding',
      'mined>broadcast',
      'mined>mined',
      'mined>confirmed',
      'mined>queued',
      'mined>refunding',
      'refunding>failed',
    ]);
    for (const from of TRANSFER_STATUSES) {
      for (const to of TRANSFER_STATUSES) expect(canMove(from, to), `${from}>${to}`).toBe(legal.has(`${from}>${to}`));
    }
    expect(TRANSFER_STATUSES.filter(isFinal)).toEqual(['confirmed', 'failed']);
  });

  describe('reconcile', () => {
    it('counts confirmations as head − block + 1 and is final at the depth', () => {
      expect(reconcile(recorded(), mined(10n, 10n), 3)).toEqual({
        do: 'wait_mined',
        block: { number: 10n, hash: '0xb10' },
        confirmations: 1n,
        reorged: false,
      });
      expect(reconcile(recorded(), mined(10n, 11n), 3)).toMatchObject({ do: 'wait_mined', confirmations: 2n });
      expect(reconcile(recorded(), mined(10n, 12n), 3)).toEqual({
        do: 'final',
        success: true,
        block: { number: 10n, hash: '0xb10' },
        confirmations: 3n,
        reorged: false,
      });
      expect(reconcile(recorded(), mined(10n, 10n), 1)).toMatchObject({ do: 'final', confirmations: 1n });
      // A head behind the block (another node of a load-balanced endpoint) counts nothing yet.
      expect(reconcile(recorded(), mined(10n, 9n), 1)).toMatchObject({ do: 'wait_mined', confirmations: 0n });
    });

    it('a reverted transfer is final only at the depth too (a reorganisation could still include it elsewhere)', () => {
      expect(reconcile(recorded(), mined(10n, 10n, { success: false }), 2)).toMatchObject({ do: 'wait_mined' });
      expect(reconcile(recorded(), mined(10n, 11n, { success: false }), 2)).toMatchObject({ do: 'final', success: false });
    });

    it('sees a reorganisation: another block, another hash, a block the chain no longer has, or back in the pool', () => {
      const wasMined = recorded({ status: 'mined', minedBlock: 10n, minedBlockHash: '0xb10' });
      expect(reconcile(wasMined, mined(10n, 11n), 5)).toMatchObject({ do: 'wait_mined', reorged: false });
      expect(reconcile(wasMined, mined(11n, 11n), 5)).toMatchObject({ do: 'wait_mined', reorged: true, block: { number: 11n } });
      expect(reconcile(wasMined, mined(10n, 11n, { blockHash: '0xother' }), 5)).toMatchObject({ do: 'wait_mined', reorged: true });
      expect(reconcile(wasMined, mined(10n, 14n, { canonicalHash: '0xnew' }), 5)).toEqual({ do: 'wait_pending', reorged: true });
      expect(reconcile(wasMined, { state: 'pending', head: 12n }, 5)).toEqual({ do: 'wait_pending', reorged: true });
      expect(reconcile(recorded(), { state: 'pending', head: 12n }, 5)).toEqual({ do: 'wait_pending', reorged: false });
      // Gone from block and pool while its nonce is free: the same bytes go out again.
      expect(reconcile(wasMined, { state: 'unknown', head: 12n, minedNonce: 7n }, 5)).toEqual({ do: 'rebroadcast', reorged: true });
    });

    it('sends the same bytes again while the nonce is free, never a new signature', () => {
      expect(reconcile(recorded({ status: 'signed' }), { state: 'unknown', head: 3n, minedNonce: 7n }, 3)).toEqual({
        do: 'rebroadcast',
        reorged: false,
      });
      // A gap below: the chain expects an earlier nonce first; ours still waits its turn with the same bytes.
      expect(reconcile(recorded(), { state: 'unknown', head: 3n, minedNonce: 5n }, 3)).toEqual({ do: 'rebroadcast', reorged: false });
    });

    it('a nonce taken by another transaction is watched until that is final, then the transfer may be signed again', () => {
      const first = reconcile(recorded(), { state: 'unknown', head: 20n, minedNonce: 8n }, 3);
      expect(first).toEqual({ do: 'nonce_lost', sinceHead: 20n, final: false, reorged: false });
      expect(reconcile(recorded({ nonceLostAtHead: 20n }), { state: 'unknown', head: 21n, minedNonce: 8n }, 3)).toMatchObject({
        final: false,
      });
      expect(reconcile(recorded({ nonceLostAtHead: 20n }), { state: 'unknown', head: 22n, minedNonce: 8n }, 3)).toEqual({
        do: 'nonce_lost',
        sinceHead: 20n,
        final: true,
        reorged: false,
      });
      // With a depth of one, seeing it is final.
      expect(reconcile(recorded(), { state: 'unknown', head: 20n, minedNonce: 8n }, 1)).toMatchObject({ final: true });
    });
  });

  describe('pickNonce', () => {
    it('takes the next nonce, moved up to the chain when the wallet was used elsewhere', () => {
      expect(pickNonce({ next: 5n, minedNonce: 3n, released: [] })).toEqual({ nonce: 5n, fromReleased: false });
      expect(pickNonce({ next: 5n, minedNonce: 9n, released: [] })).toEqual({ nonce: 9n, fromReleased: false });
    });

    it('fills the lowest released nonce the chain has not passed first', () => {
      expect(pickNonce({ next: 9n, minedNonce: 4n, released: [7n, 5n] })).toEqual({ nonce: 5n, fromReleased: true });
      expect(pickNonce({ next: 9n, minedNonce: 6n, released: [5n, 7n] })).toEqual({ nonce: 7n, fromReleased: true });
      expect(pickNonce({ next: 9n, minedNonce: 8n, released: [5n, 7n] })).toEqual({ nonce: 9n, fromReleased: false });
    });
  });

  it('waits longer after each failed round, up to five minutes, and never gives up', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(retryDelayMs)).toEqual([1_000, 5_000, 15_000, 60_000, 300_000, 300_000, 300_000]);
  });
});
