import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { findTransaction, lockTransaction, type TransactionRow } from '../transactions/transaction-store.ts';
import { findPayoutOfTransaction, lockPayout, updatePayout, upsertPayoutCard } from './off-ramp-store.ts';
import { checkPayoutCard, type PayoutCardInput } from './payout-card.ts';

export interface SavePayoutCardRequest {
  partnerId: string;
  merchantTransactionId: string;
  card: PayoutCardInput;
}

/**
 * Takes the card a sell pays out to: checked (payout-card.ts), handed to the payout provider, and
 * kept only as the provider's token (sealed), its brand and last four digits. Allowed while the
 * sell is pending, and while it is processing as long as its payout waits for a card (the deposit
 * may arrive first: the address is in the session); the card may be replaced until the payout is sent.
 * A payout that waited for the card is queued in the same database transaction.
 *
 * @throws ApiError not_a_sell (400), validation_error (400), transaction_not_pending (409: the sell
 *   ended), payout_in_progress (409: the payout was sent); ProviderError when the provider fails (502).
 */
export async function savePayoutCard(platform: Platform, request: SavePayoutCardRequest): Promise<void> {
  const transaction = await findTransaction(platform.db, request.partnerId, request.merchantTransactionId);
  if (!transaction) throw new ApiError('not_found', 'No such transaction.');
  assertTakesCard(transaction);
  const payout = await findPayoutOfTransaction(platform.db, transaction.id);
  if (payout && payout.status !== 'awaiting_card') throw payoutUnderWay();
  const card = checkPayoutCard(request.card, platform.clock.now());
  const provider = platform.providers.payouts;
  const tokenized = await provider.tokenizeCard({ card });

  await platform.db.transaction().execute(async (trx) => {
    const now = platform.clock.now();
    const current = (await lockTransaction(trx, { id: transaction.id }))!;
    assertTakesCard(current);
    const waiting = await findPayoutOfTransaction(trx, transaction.id);
    const locked = waiting ? await lockPayout(trx, waiting.id) : undefined;
    if (locked && locked.status !== 'awaiting_card') throw payoutUnderWay();
    await upsertPayoutCard(trx, {
      transaction_id: transaction.id,
      provider: provider.name,
      token_sealed: platform.sealer.seal(tokenized.token),
      brand: tokenized.brand,
      last4: tokenized.last4,
      created_at: now,
      updated_at: now,
    });
    if (locked) {
      await updatePayout(trx, locked.id, { status: 'queued', provider: provider.name, next_try_at: now, updated_at: now }, [
        'awaiting_card',
      ]);
    }
  });
}

function assertTakesCard(transaction: TransactionRow): void {
  if (transaction.type !== 'sell') throw new ApiError('not_a_sell', 'Only a sell pays out to a card; a buy is paid with one.');
  if (transaction.status !== 'pending' && transaction.status !== 'processing') {
    throw new ApiError('transaction_not_pending', `The transaction is ${transaction.status}; its payout card can no longer change.`);
  }
}

function payoutUnderWay(): ApiError {
  return new ApiError('payout_in_progress', 'The payout has been sent to the card already; the card can no longer change.');
}
