import { describe, expect, it } from 'vitest';
import { checkTransition, isTerminal, REASONS } from './state-machine.ts';
import type { TransactionStatus } from './transaction-status.ts';

const statuses: TransactionStatus[] = ['pending', 'processing', 'completed', 'failed', 'cancelled'];

describe('state machine', () => {
  it('allows exactly the documented moves', () => {
    const legal = new Set(['pending>processing', 'pending>failed', 'pending>cancelled', 'processing>completed', 'processing>failed']);
    for (const type of ['buy', 'sell'] as const) {
      for (const from of statuses) {
        for (const to of statuses) {
          expect(checkTransition(type, from, to).ok, `${type} ${from}>${to}`).toBe(legal.has(`${from}>${to}`));
        }
      }
    }
  });

  it('never moves a terminal transaction', () => {
    for (const from of ['completed', 'failed', 'cancelled'] as const) {
      expect(isTerminal(from)).toBe(true);
      const check = checkTransition('buy', from, 'processing');
      expect(check).toEqual({ ok: false, problem: `the transaction is ${from}, which is final` });
    }
  });

  it('defaults the reason of a failure and refuses a reason of the other type', () => {
    expect(checkTransition('buy', 'pending', 'failed')).toEqual({ ok: true, reason: 'payment_declined' });
    expect(checkTransition('sell', 'pending', 'failed')).toEqual({ ok: true, reason: 'deposit_expired' });
    expect(checkTransition('sell', 'pending', 'failed', 'deposit_expired')).toEqual({ ok: true, reason: 'deposit_expired' });
    expect(checkTransition('buy', 'pending', 'failed', 'deposit_expired').ok).toBe(false);
    expect(checkTransition('buy', 'processing', 'completed')).toEqual({ ok: true, reason: null });
  });

  it('a sell paid short moves on with deposit_underpaid: processing when priced again, failed when it cannot be', () => {
    expect(checkTransition('sell', 'pending', 'processing', 'deposit_underpaid')).toEqual({ ok: true, reason: 'deposit_underpaid' });
    expect(checkTransition('sell', 'pending', 'failed', 'deposit_underpaid')).toEqual({ ok: true, reason: 'deposit_underpaid' });
    expect(checkTransition('buy', 'pending', 'processing', 'deposit_underpaid').ok).toBe(false);
  });

  it('documents a reason for every failure path', () => {
    for (const type of ['buy', 'sell'] as const) expect(REASONS[type].failed!.length).toBeGreaterThan(2);
  });
});
