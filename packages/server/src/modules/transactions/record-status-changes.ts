import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { Platform } from '../../platform.ts';
import type { TransactionEvent } from '../delivery/event-bus.ts';
import { enqueueWebhooks } from '../delivery/outbox.ts';
import { isTerminal } from './state-machine.ts';
import type { TransactionViewRow } from './transaction-store.ts';
import { toTransactionView, toUpdateMessage } from './transaction-view.ts';

/** What is left to do about a recorded change once its database transaction has committed. */
export interface AfterCommit {
  /** Its labels in proof_transaction_status_changes_total. */
  labels: { type: string; status: string; reason: string };
  /** Whether it queued a webhook (its partner has an endpoint): only then is the webhook worker woken. */
  webhookQueued: boolean;
}

/**
 * Kept for each recorded change until announceStatusChanges takes it after the commit, so a change
 * rolled back after it was recorded is never counted. Weak: a rolled-back batch leaves nothing behind.
 */
const afterCommit = new WeakMap<TransactionEvent, AfterCommit>();

/** What is left to do about a committed change, once (undefined for an event recorded elsewhere or already announced). */
export function takeAfterCommit(event: TransactionEvent): AfterCommit | undefined {
  const left = afterCommit.get(event);
  afterCommit.delete(event);
  return left;
}

/** A transaction row just updated to its new status (its version is the change's `seq`). */
export type ChangedRow = TransactionViewRow & { id: string; partner_id: string; version: number };

/**
 * What every status change writes beside the row, in the same database transaction: the history
 * event, the queued webhook and the notification to every node. Set-wise for jobs that change many
 * rows at once (one statement per table for the batch); a single change is a batch of one.
 * The caller hands the returned events to announceStatusChanges once the transaction commits.
 */
export async function recordStatusChanges(
  platform: Platform,
  trx: Kysely<Tables>,
  changes: ReadonlyArray<{ row: ChangedRow; reason: string | null }>,
  now: Date,
): Promise<TransactionEvent[]> {
  if (changes.length === 0) return [];
  const messages = changes.map(({ row }) => toUpdateMessage(row, now));
  await trx
    .insertInto('transaction_events')
    .values(
      changes.map(({ row, reason }, index) => ({
        transaction_id: row.id,
        partner_id: row.partner_id,
        seq: row.version,
        status: row.status,
        reason,
        occurred_at: now,
        message: JSON.stringify(messages[index]),
      })),
    )
    .execute();
  const queued = await enqueueWebhooks(
    trx,
    changes.map(({ row }) => ({
      partnerId: row.partner_id,
      transactionId: row.id,
      seq: row.version,
      eventType: 'tx.update',
      payload: toTransactionView(row) as unknown as Record<string, unknown>,
      now,
    })),
  );
  const events = changes.map(
    ({ row }, index): TransactionEvent => ({
      partnerId: row.partner_id,
      transactionId: row.id,
      partnerUserId: row.partner_user_id,
      seq: row.version,
      terminal: isTerminal(row.status),
      message: messages[index] as unknown as Record<string, unknown>,
    }),
  );
  await platform.bus.publishInTransaction(trx, events);
  for (const [index, { row, reason }] of changes.entries()) {
    afterCommit.set(events[index]!, {
      labels: { type: row.type, status: row.status, reason: reason ?? 'none' },
      webhookQueued: queued[index] !== null,
    });
  }
  return events;
}
