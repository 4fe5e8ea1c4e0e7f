import { describe, expect, it } from 'vitest';
import { confirmationsAt, holdAll, planDeposits } from './deposit-decision.ts';

const deposit = (id: string, amountMinor: bigint) => ({ id, amountMinor });

describe('planDeposits', () => {
  it('exact: one deposit of the quoted amount is credited in full', () => {
    expect(planDeposits(100_000_000n, [deposit('a', 100_000_000n)])).toEqual({
      outcome: 'exact',
      received: 100_000_000n,
      surplus: 0n,
      dispositions: [{ id: 'a', disposition: 'credited', unpaid: 0n }],
    });
  });

  it('exact in two parts: both credited', () => {
    const plan = planDeposits(100n, [deposit('a', 60n), deposit('b', 40n)]);
    expect(plan).toMatchObject({ outcome: 'exact', received: 100n, surplus: 0n });
    expect(plan.outcome !== 'under' && plan.dispositions.map((d) => d.disposition)).toEqual(['credited', 'credited']);
  });

  it('over: the quote is paid, the surplus sits on the deposit that crossed the quoted amount', () => {
    expect(planDeposits(100n, [deposit('a', 130n)])).toEqual({
      outcome: 'over',
      received: 130n,
      surplus: 30n,
      dispositions: [{ id: 'a', disposition: 'surplus', unpaid: 30n }],
    });
  });

  it('over in parts: oldest first until covered; a later deposit is surplus in full', () => {
    const plan = planDeposits(100n, [deposit('a', 70n), deposit('b', 50n), deposit('c', 5n)]);
    expect(plan).toMatchObject({ outcome: 'over', received: 125n, surplus: 25n });
    expect(plan.outcome !== 'under' && plan.dispositions).toEqual([
      { id: 'a', disposition: 'credited', unpaid: 0n },
      { id: 'b', disposition: 'surplus', unpaid: 20n },
      { id: 'c', disposition: 'surplus', unpaid: 5n },
    ]);
  });

  it('the credited parts always add up to the quote and the unpaid parts to the surplus', () => {
    for (const amounts of [[1n], [99n, 1n, 1n], [50n, 50n, 50n], [100n, 0n + 7n]]) {
      const plan = planDeposits(
        100n,
        amounts.map((amount, index) => deposit(String(index), amount)),
      );
      if (plan.outcome === 'under') continue;
      const unpaid = plan.dispositions.reduce((sum, d) => sum + d.unpaid, 0n);
      expect(unpaid).toBe(plan.surplus);
      expect(plan.received - unpaid).toBe(100n);
    }
  });

  it('under: less than quoted, or no amount ever picked, asks for a new price of what was received', () => {
    expect(planDeposits(100n, [deposit('a', 60n), deposit('b', 39n)])).toEqual({ outcome: 'under', received: 99n });
    expect(planDeposits(null, [deposit('a', 60n)])).toEqual({ outcome: 'under', received: 60n });
  });

  it('nothing to decide without deposits', () => {
    expect(() => planDeposits(100n, [])).toThrow(RangeError);
  });
});

describe('holdAll and confirmationsAt', () => {
  it('holds every deposit in full', () => {
    expect(holdAll([deposit('a', 5n), deposit('b', 7n)], 'late')).toEqual([
      { id: 'a', disposition: 'late', unpaid: 5n },
      { id: 'b', disposition: 'late', unpaid: 7n },
    ]);
  });

  it('a transfer in the head block has one confirmation; one in a block past the head none', () => {
    expect(confirmationsAt(100n, 100n)).toBe(1);
    expect(confirmationsAt(119n, 100n)).toBe(20);
    expect(confirmationsAt(99n, 100n)).toBe(0);
  });
});
