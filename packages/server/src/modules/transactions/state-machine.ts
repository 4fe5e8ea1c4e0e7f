import type { TransactionStatus, TransactionType } from './transaction-status.ts';

/**
 * The transaction state machine, without I/O. The public status is one of five; a `reason` says
 * why a transaction is where it is (BTCPay's "state + reason"), so partners keep a small enum and
 * still learn what happened. Terminal statuses never change again.
 *
 *   pending ──► processing ──► completed
 *      │            │
 *      ├──► failed ◄┘
 *      └──► cancelled
 */
export const TERMINAL: ReadonlySet<TransactionStatus> = new Set(['completed', 'failed', 'cancelled']);

const NEXT: Record<TransactionStatus, readonly TransactionStatus[]> = {
  pending: ['processing', 'failed', 'cancelled'],
  processing: ['completed', 'failed'],
  completed: [],
  failed: [],
  cancelled: [],
};

/** Why a transaction moved, per type and target status; the first is the default. */
export const REASONS: Record<TransactionType, Partial<Record<TransactionStatus, readonly string[]>>> = {
  buy: {
    pending: ['payment_declined', 'kyc_pending'],
    processing: ['payment_captured'],
    completed: ['crypto_delivered'],
    failed: ['payment_declined', 'kyc_rejected', 'session_expired', 'delivery_failed', 'rejected'],
    cancelled: ['user_cancelled'],
  },
  sell: {
    pending: ['kyc_pending', 'deposit_underpaid'],
    processing: ['deposit_confirmed', 'deposit_underpaid'],
    completed: ['fiat_paid'],
    failed: ['deposit_expired', 'payout_failed', 'kyc_rejected', 'rejected', 'deposit_underpaid'],
    cancelled: ['user_cancelled'],
  },
};

export type TransitionCheck = { ok: true; reason: string | null } | { ok: false; problem: string };

export function isTerminal(status: TransactionStatus): boolean {
  return TERMINAL.has(status);
}

/** Whether `from → to` is legal for this type, and with which reason (defaulted when omitted). */
export function checkTransition(
  type: TransactionType,
  from: TransactionStatus,
  to: TransactionStatus,
  reason?: string | null,
): TransitionCheck {
  if (isTerminal(from)) return { ok: false, problem: `the transaction is ${from}, which is final` };
  if (!NEXT[from].includes(to)) return { ok: false, problem: `a ${type} transaction cannot go from ${from} to ${to}` };
  const allowed = REASONS[type][to] ?? [];
  if (reason == null) return { ok: true, reason: to === 'failed' || to === 'cancelled' ? (allowed[0] ?? null) : null };
  if (!allowed.includes(reason)) {
    return {
      ok: false,
      problem: `"${reason}" is not a reason for a ${type} transaction to become ${to} (use one of: ${allowed.join(', ') || 'none'})`,
    };
  }
  return { ok: true, reason };
}
