import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import type { TransactionEvent } from '../delivery/event-bus.ts';
import { recordStatusChanges, takeAfterCommit } from './record-status-changes.ts';
import { checkTransition } from './state-machine.ts';
import type { TransactionStatus } from './transaction-status.ts';

export interface StatusChange {
  partnerId: string;
  merchantTransactionId: string;
  to: TransactionStatus;
  reason?: string | null;
  /** How the user paid (card, apple_pay, google_pay), recorded with the change that captures the payment. */
  paymentMethod?: string;
  /** The hash of the transfer that delivered the crypto, recorded with the change that completes a buy. */
  txHash?: string;
  /** Tests only: runs after the row is updated, inside the database transaction. */
  afterUpdate?: () => void | Promise<void>;
}

export class IllegalTransitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IllegalTransitionError';
  }
}

/**
 * Moves a transaction to a new status. One database transaction updates the row (locked, so
 * concurrent changes serialise and each sees the other's result), appends the history event and
 * queues the webhook; subscribers on every node hear of it once it commits. At most
 * STATUS_CHANGE_CONCURRENCY of these run at once on a node; the rest wait their turn, holding no
 * connection meanwhile (decision 0027).
 */
export async function changeStatus(platform: Platform, change: StatusChange): Promise<TransactionEvent> {
  const event = await platform.statusChangeLimit.run(() =>
    platform.db.transaction().execute((trx) => changeStatusWithin(platform, trx, change)),
  );
  announceStatusChanges(platform, [event]);
  return event;
}

/**
 * The same change inside the caller's database transaction, for a module whose own rows change
 * with the status (a payment attempt and the capture it records commit together or not at all).
 * The caller hands the returned event to announceStatusChanges once its transaction has committed.
 */
export async function changeStatusWithin(platform: Platform, trx: Kysely<Tables>, change: StatusChange): Promise<TransactionEvent> {
  const now = platform.clock.now();
  const row = await trx
    .selectFrom('transactions')
    .selectAll()
    .where('partner_id', '=', change.partnerId)
    .where('merchant_transaction_id', '=', change.merchantTransactionId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new ApiError('not_found', 'No such transaction.');
  const check = checkTransition(row.type, row.status, change.to, change.reason);
  if (!check.ok) throw new IllegalTransitionError(check.problem);

  const seq = row.version + 1;
  const updated = await trx
    .updateTable('transactions')
    .set({
      status: change.to,
      failure_reason: change.to === 'failed' || change.to === 'cancelled' ? check.reason : null,
      settled_crypto_minor: change.to === 'processing' ? row.quote_crypto_minor : row.settled_crypto_minor,
      payment_method: change.paymentMethod ?? row.payment_method,
      tx_hash: change.txHash ?? row.tx_hash,
      version: seq,
      updated_at: now,
    })
    .where('id', '=', row.id)
    .where('version', '=', row.version)
    .returningAll()
    .executeTakeFirstOrThrow();
  await change.afterUpdate?.();
  const [event] = await recordStatusChanges(platform, trx, [{ row: updated, reason: check.reason }], now);
  return event!;
}

/**
 * Tells every node's subscribers about changes that have committed, counts them, and wakes this node's
 * webhook worker when they queued webhooks (a partner without an endpoint costs it no claim).
 */
export function announceStatusChanges(platform: Platform, events: readonly TransactionEvent[]): void {
  if (events.length === 0) return;
  let webhookQueued = false;
  for (const event of events) {
    const left = takeAfterCommit(event);
    if (!left) continue;
    platform.metrics.statusChanges.inc(left.labels);
    webhookQueued ||= left.webhookQueued;
  }
  platform.bus.afterCommit(events);
  if (webhookQueued) platform.outboxNotifier.notify();
}
