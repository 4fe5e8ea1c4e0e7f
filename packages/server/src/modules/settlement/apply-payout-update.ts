import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { Platform } from '../../platform.ts';
import type { InboundEvent } from '../callbacks/inbound-event.ts';
import type { TransactionEvent } from '../delivery/event-bus.ts';
import { announceStatusChanges, changeStatusWithin } from '../transactions/change-status.ts';
import { lockTransaction } from '../transactions/transaction-store.ts';
import { depositsOf, findPayout, lockPayout, updateDeposit, updatePayout } from './off-ramp-store.ts';
import { isPayoutDeclineReason, isPayoutOutcome, type PayoutDeclineReason, type PayoutOutcome } from './off-ramp-vocabulary.ts';

/** No payout matches the event (yet): the callbacks worker retries it, so a callback that overtook our own bookkeeping is applied later. */
export class UnknownPayoutError extends Error {
  constructor(providerPayoutId: string) {
    super(`no payout for provider payout ${providerPayoutId}`);
    this.name = 'UnknownPayoutError';
  }
}

export interface PayoutOutcomeChange {
  payoutId: string;
  outcome: PayoutOutcome;
  reason?: PayoutDeclineReason;
  providerPayoutId: string;
}

/**
 * Applies one `payout.update` event (the handler the callbacks worker calls). Idempotent and safe
 * in any order: the transaction's row and then the payout's are locked, a payout already paid or
 * declined changes no more, and the payout, the sell's status, its history and its webhook change
 * in one database transaction.
 *
 * @throws UnknownPayoutError when no payout has the event's payout id or reference (retry later).
 */
export async function applyPayoutUpdate(platform: Platform, event: InboundEvent): Promise<{ applied: boolean }> {
  const providerPayoutId = typeof event.providerPayoutId === 'string' ? event.providerPayoutId : '';
  const reference = typeof event.reference === 'string' ? event.reference : '';
  if (!isPayoutOutcome(event.outcome) || providerPayoutId === '') throw new Error('not a payout.update event');
  const provider = platform.providers.payouts.name;
  const found =
    (await findPayout(platform.db, { provider, providerPayoutId })) ??
    (reference ? await findPayout(platform.db, { id: reference }) : undefined);
  if (!found || found.provider !== provider) throw new UnknownPayoutError(providerPayoutId);
  if (found.provider_payout_id !== null && found.provider_payout_id !== providerPayoutId) {
    platform.logger.error(
      { payoutId: found.id, eventId: event.eventId, provider },
      'payout callback names a payout that has another provider id; ignored',
    );
    return { applied: false };
  }
  return applyPayoutOutcome(platform, {
    payoutId: found.id,
    outcome: event.outcome,
    providerPayoutId,
    ...(isPayoutDeclineReason(event.reason) ? { reason: event.reason } : {}),
  });
}

/** A payout's outcome, from a callback or from a decline the provider answered at once. */
export async function applyPayoutOutcome(platform: Platform, change: PayoutOutcomeChange): Promise<{ applied: boolean }> {
  const events: TransactionEvent[] = [];
  const applied = await platform.db.transaction().execute(async (trx) => {
    const first = await findPayout(trx, { id: change.payoutId });
    if (!first) return false;
    const transaction = (await lockTransaction(trx, { id: first.transaction_id }))!;
    const payout = (await lockPayout(trx, change.payoutId))!;
    if (payout.status === 'paid' || payout.status === 'declined') return false;
    const now = platform.clock.now();
    const moved = (to: 'completed' | 'failed', reason: string) =>
      changeStatusWithin(platform, trx, {
        partnerId: transaction.partner_id,
        merchantTransactionId: transaction.merchant_transaction_id,
        to,
        reason,
      });
    if (change.outcome === 'paid') {
      await updatePayout(trx, payout.id, {
        status: 'paid',
        provider_payout_id: change.providerPayoutId,
        leased_until: null,
        updated_at: now,
      });
      if (transaction.status === 'processing') events.push(await moved('completed', 'fiat_paid'));
      return true;
    }
    await updatePayout(trx, payout.id, {
      status: 'declined',
      provider_payout_id: change.providerPayoutId,
      decline_reason: change.reason ?? 'card_declined',
      leased_until: null,
      updated_at: now,
    });
    if (transaction.status === 'processing') events.push(await moved('failed', 'payout_failed'));
    await holdPaidInCrypto(trx, payout.transaction_id);
    return true;
  });
  announceStatusChanges(platform, events);
  return { applied };
}

/** The crypto of a sell whose payout failed is the user's: all of it is held for the operator to return. */
async function holdPaidInCrypto(trx: Kysely<Tables>, transactionId: string): Promise<void> {
  for (const deposit of await depositsOf(trx, transactionId)) {
    if (deposit.status === 'confirmed' && deposit.unpaid_minor !== deposit.amount_minor) {
      await updateDeposit(trx, deposit.id, { unpaid_minor: deposit.amount_minor });
    }
  }
}
