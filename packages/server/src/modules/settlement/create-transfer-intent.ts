import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { newId } from '../../lib/ids.ts';
import type { Platform } from '../../platform.ts';
import type { TransactionRow } from '../transactions/transaction-store.ts';
import { findTransferOfTransaction, insertTransferIntent, type TransferIntent } from './transfer-store.ts';

/**
 * Queues the crypto transfer of a buy that has just reached `processing`, inside the caller's
 * database transaction (the one that records the capture and the status change), so a buy is
 * processing if and only if its transfer exists. One transfer per transaction, held by a unique key:
 * a second call, however concurrent, finds the first one's. The settlement worker (woken once the
 * capture commits) takes it from there. A sell, or a buy in another status, gets none.
 *
 * @param transaction the transaction's row as the status change left it (`settled_crypto_minor` set).
 * @returns the transfer, or null when the transaction is not a processing buy.
 *
 * @example
 * const event = await changeStatusWithin(platform, trx, { ...who, to: 'processing', reason: 'payment_captured' });
 * await createTransferIntent(platform, trx, (await lockTransaction(trx, { id }))!);
 */
export async function createTransferIntent(
  platform: Platform,
  trx: Kysely<Tables>,
  transaction: TransactionRow,
): Promise<TransferIntent | null> {
  if (transaction.type !== 'buy' || transaction.status !== 'processing') return null;
  const amount = transaction.settled_crypto_minor ?? transaction.quote_crypto_minor;
  if (amount === null || BigInt(amount) <= 0n) throw new Error(`transaction ${transaction.id} is processing without a crypto amount`);
  await insertTransferIntent(trx, {
    id: newId('trf'),
    transactionId: transaction.id,
    partnerId: transaction.partner_id,
    merchantTransactionId: transaction.merchant_transaction_id,
    network: transaction.network,
    asset: transaction.currency,
    toAddress: transaction.address,
    amountMinor: BigInt(amount),
    now: platform.clock.now(),
  });
  return (await findTransferOfTransaction(trx, transaction.id))!;
}
