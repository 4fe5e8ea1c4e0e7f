import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { Asset, Fiat, Network } from '../../lib/catalog.ts';
import { ApiError } from '../../lib/errors.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { Platform } from '../../platform.ts';
import type { TransactionEvent } from '../delivery/event-bus.ts';
import { getPartner } from '../partners/partner-service.ts';
import { type PricedAmount, priceAmount } from '../sessions/price-amount.ts';
import { announceStatusChanges, changeStatusWithin } from '../transactions/change-status.ts';
import { lockQuote, lockTransaction, type TransactionRow } from '../transactions/transaction-store.ts';
import { type DepositPlan, holdAll, planDeposits } from './deposit-decision.ts';
import {
  type DepositRow,
  decideDeposit,
  findPayoutCard,
  insertPayout,
  lockUndecidedDeposits,
  newPayoutId,
  transactionsWithUndecidedDeposits,
} from './off-ramp-store.ts';

const BATCH = 50;

export interface SettleResult {
  /** Sells moved to processing (their payout queued, or waiting for the card). */
  processing: number;
  /** Sells failed for an underpayment outside the partner's limits. */
  refused: number;
  /** Deposits confirmed after their sell stopped taking deposits. */
  late: number;
}

/**
 * Decides every sell whose deposits are all confirmed (deposit-decision.ts has the rules): exact
 * and over → `processing` (`deposit_confirmed`), the surplus held; under → priced again for what
 * arrived and `processing` (`deposit_underpaid`) within the partner's limits, else `failed`
 * (`deposit_underpaid`) with everything held. The status change, the new quote, the deposits'
 * dispositions and the payout (queued, or awaiting the card) commit together under the transaction's
 * row lock, so a decision is made once however many nodes run this.
 *
 * Pricing asks the rate provider, so it happens before the lock; if the deposits changed meanwhile
 * the decision waits for the next round. A rate provider that fails leaves the sell undecided
 * (and held open) until it answers.
 */
export async function settleDeposits(platform: Platform): Promise<SettleResult> {
  const result: SettleResult = { processing: 0, refused: 0, late: 0 };
  for (const transactionId of await transactionsWithUndecidedDeposits(platform.db, BATCH)) {
    try {
      await settleSell(platform, transactionId, result);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      platform.logger.warn(
        { transactionId, provider: error.provider, kind: error.kind },
        'an underpaid sell could not be priced again; retried next round',
      );
    }
  }
  return result;
}

type Repricing = { received: bigint; priced: PricedAmount | 'out_of_range' } | null;

async function settleSell(platform: Platform, transactionId: string, result: SettleResult): Promise<void> {
  const before = await platform.db.transaction().execute(async (trx) => {
    const transaction = await lockTransaction(trx, { id: transactionId });
    const deposits = await lockUndecidedDeposits(trx, transactionId);
    return transaction && deposits.length > 0 ? { transaction, plan: planOf(transaction, deposits) } : null;
  });
  if (!before) return;
  const repricing =
    before.transaction.status === 'pending' && before.plan.outcome === 'under'
      ? await reprice(platform, before.transaction, before.plan.received)
      : null;

  const events: TransactionEvent[] = [];
  await platform.db.transaction().execute(async (trx) => {
    const now = platform.clock.now();
    const transaction = (await lockTransaction(trx, { id: transactionId }))!;
    const deposits = await lockUndecidedDeposits(trx, transactionId);
    if (deposits.length === 0) return;
    const amounts = deposits.map((row) => ({ id: row.id, amountMinor: BigInt(row.amount_minor) }));
    const change = (to: 'processing' | 'failed', reason: string) =>
      changeStatusWithin(platform, trx, {
        partnerId: transaction.partner_id,
        merchantTransactionId: transaction.merchant_transaction_id,
        to,
        reason,
      });

    if (transaction.status !== 'pending') {
      // Cancelled, expired or settled while these confirmed: nothing of them is paid out.
      for (const hold of holdAll(amounts, 'late')) await decideDeposit(trx, { ...hold, unpaidMinor: hold.unpaid, now });
      result.late += deposits.length;
      return;
    }
    const plan = planOf(transaction, deposits);
    if (plan.outcome !== 'under') {
      for (const part of plan.dispositions) await decideDeposit(trx, { ...part, unpaidMinor: part.unpaid, now });
      events.push(await change('processing', 'deposit_confirmed'));
      await queuePayout(trx, {
        provider: platform.providers.payouts.name,
        transaction,
        fiatMinor: BigInt(transaction.quote_fiat_minor!),
        now,
      });
      result.processing++;
      return;
    }
    // The price was for what had arrived then; anything else waits for the next round.
    if (!repricing || repricing.received !== plan.received) return;
    if (repricing.priced === 'out_of_range') {
      for (const hold of holdAll(amounts, 'refused')) await decideDeposit(trx, { ...hold, unpaidMinor: hold.unpaid, now });
      events.push(await change('failed', 'deposit_underpaid'));
      result.refused++;
      return;
    }
    const { priced } = repricing;
    await lockQuote(trx, {
      id: transaction.id,
      now,
      quote: {
        cryptoMinor: priced.cryptoMinor,
        fiatMinor: priced.fiatMinor,
        feeFiatMinor: priced.feeFiatMinor,
        networkFeeCryptoMinor: priced.networkFeeCryptoMinor,
        rate: priced.rate,
        expiresAt: new Date(now.getTime() + platform.config.quoteTtlMs),
      },
    });
    for (const { id } of amounts) await decideDeposit(trx, { id, disposition: 'credited', unpaidMinor: 0n, now });
    events.push(await change('processing', 'deposit_underpaid'));
    await queuePayout(trx, { provider: platform.providers.payouts.name, transaction, fiatMinor: priced.fiatMinor, now });
    result.processing++;
  });
  announceStatusChanges(platform, events);
}

function planOf(transaction: TransactionRow, deposits: DepositRow[]): DepositPlan {
  const quoted = transaction.quote_crypto_minor === null ? null : BigInt(transaction.quote_crypto_minor);
  return planDeposits(
    quoted,
    deposits.map((row) => ({ id: row.id, amountMinor: BigInt(row.amount_minor) })),
  );
}

/** Prices the amount that arrived as a sell of exactly that much, with the partner's fees and limits. */
async function reprice(platform: Platform, transaction: TransactionRow, received: bigint): Promise<Repricing> {
  const partner = await getPartner(platform, transaction.partner_id);
  try {
    const priced = await priceAmount(platform, {
      config: partner.config,
      type: 'sell',
      asset: transaction.currency as Asset,
      network: transaction.network as Network,
      fiat: transaction.fiat_currency as Fiat,
      given: { crypto: received },
    });
    return { received, priced };
  } catch (error) {
    if (error instanceof ApiError && error.code === 'amount_out_of_range') return { received, priced: 'out_of_range' };
    throw error;
  }
}

/** The payout of a sell that reached processing: queued when its card is known, else waiting for it. */
async function queuePayout(
  trx: Kysely<Tables>,
  payout: { provider: string; transaction: TransactionRow; fiatMinor: bigint; now: Date },
): Promise<void> {
  const card = await findPayoutCard(trx, payout.transaction.id);
  await insertPayout(trx, {
    id: newPayoutId(),
    transaction_id: payout.transaction.id,
    partner_id: payout.transaction.partner_id,
    provider: payout.provider,
    provider_payout_id: null,
    amount_minor: payout.fiatMinor.toString(),
    fiat_currency: payout.transaction.fiat_currency,
    status: card ? 'queued' : 'awaiting_card',
    decline_reason: null,
    tries: 0,
    last_error: null,
    next_try_at: payout.now,
    leased_until: null,
    created_at: payout.now,
    updated_at: payout.now,
  });
}
