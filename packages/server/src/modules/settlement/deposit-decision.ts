import type { DepositDisposition } from './off-ramp-vocabulary.ts';

/**
 * What a sell makes of its confirmed deposits, without I/O. Everything the user sent while the sell
 * was open counts together (a deposit may come in parts), in minor units of the asset:
 *
 * - **exact** (received = the quote's crypto amount): every deposit is credited; the sell moves to
 *   `processing` (`deposit_confirmed`) and its quoted fiat amount is paid out.
 * - **over** (received > quoted): the quote is honoured as it stands and paid out; deposits are
 *   credited oldest first until the quoted amount is covered, the rest is `surplus` (`unpaid` on
 *   the deposit that crossed the line, all of any later one) and held for the operator to send back.
 * - **under** (received < quoted, or no amount was ever picked): the sell is priced again for the
 *   amount received (re-quote at the current rate, with the partner's fees). Within the partner's
 *   limits it moves to `processing` with the reason `deposit_underpaid` and the new fiat amount is
 *   paid out (`credited`); outside them it fails with `deposit_underpaid` and every deposit is
 *   `refused`: all of it is held for the operator to send back.
 */
export type DepositPlan =
  | { outcome: 'exact' | 'over'; received: bigint; surplus: bigint; dispositions: DepositDispositionPlan[] }
  | { outcome: 'under'; received: bigint };

export interface DepositDispositionPlan {
  id: string;
  disposition: Extract<DepositDisposition, 'credited' | 'surplus'>;
  /** The part of this deposit the payout does not cover (held for the operator). */
  unpaid: bigint;
}

export function planDeposits(quotedMinor: bigint | null, deposits: ReadonlyArray<{ id: string; amountMinor: bigint }>): DepositPlan {
  if (deposits.length === 0) throw new RangeError('nothing to decide: no deposits');
  const received = deposits.reduce((sum, deposit) => sum + deposit.amountMinor, 0n);
  if (quotedMinor === null || received < quotedMinor) return { outcome: 'under', received };
  let stillDue = quotedMinor;
  const dispositions = deposits.map((deposit): DepositDispositionPlan => {
    // biome-ignore lint/complexity/useMathMinMax: bigint amounts; Math.min takes numbers only.
    const credited = deposit.amountMinor < stillDue ? deposit.amountMinor : stillDue;
    stillDue -= credited;
    const unpaid = deposit.amountMinor - credited;
    return { id: deposit.id, disposition: unpaid === 0n ? 'credited' : 'surplus', unpaid };
  });
  return { outcome: received === quotedMinor ? 'exact' : 'over', received, surplus: received - quotedMinor, dispositions };
}

/** Dispositions when nothing of the deposits is paid out (refused underpayment, late arrival): all of each is held. */
export function holdAll(
  deposits: ReadonlyArray<{ id: string; amountMinor: bigint }>,
  disposition: Extract<DepositDisposition, 'refused' | 'late'>,
): Array<{ id: string; disposition: DepositDisposition; unpaid: bigint }> {
  return deposits.map((deposit) => ({ id: deposit.id, disposition, unpaid: deposit.amountMinor }));
}

/** Confirmations of a transfer mined at `block` when the chain's head is `head` (0 when the head is behind it). */
export function confirmationsAt(head: bigint, block: bigint): number {
  return head < block ? 0 : Number(head - block + 1n);
}
