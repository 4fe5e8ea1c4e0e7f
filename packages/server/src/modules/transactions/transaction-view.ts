import { type Static, Type } from 'typebox';
import { ASSETS, FIATS, isAsset, isFiat } from '../../lib/catalog.ts';
import { formatAmount } from '../../lib/money.ts';
import { TRANSACTION_STATUSES, TRANSACTION_TYPES } from './transaction-status.ts';
import type { TransactionViewRow } from './transaction-store.ts';

/** The public shape of a transaction: the GET response, and (with its timestamps) the webhook body. */
export const TransactionViewSchema = Type.Object({
  merchant_transaction_id: Type.String(),
  partner_user_id: Type.String(),
  type: Type.Enum(TRANSACTION_TYPES),
  status: Type.Enum(TRANSACTION_STATUSES),
  currency: Type.String(),
  network: Type.String(),
  crypto_amount: Type.String({ description: 'Empty until the status reaches processing.' }),
  fiat_currency: Type.String(),
  fiat_amount: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  payment_method: Type.Optional(Type.String()),
  tx_hash: Type.Optional(
    Type.String({ description: '(ours) The hash of the transfer that delivered the crypto of a buy; once it is known (completed).' }),
  ),
  failure_reason: Type.Optional(Type.String({ description: 'Why the transaction failed; only on failed.' })),
});
export type TransactionView = Static<typeof TransactionViewSchema>;

/** The `tx.update` message WebSocket subscribers receive: the view without its timestamps, plus when it happened. */
export const TransactionUpdateSchema = Type.Object({
  event: Type.Literal('tx.update'),
  ...Type.Omit(TransactionViewSchema, ['created_at', 'updated_at']).properties,
  occurred_at: Type.String({ format: 'date-time' }),
});
export type TransactionUpdate = Static<typeof TransactionUpdateSchema>;

/** The public shape of a transaction. crypto_amount stays empty until the amount is final (processing). */
export function toTransactionView(row: TransactionViewRow): TransactionView {
  const cryptoDecimals = isAsset(row.currency) ? ASSETS[row.currency].decimals : 0;
  const fiatDecimals = isFiat(row.fiat_currency) ? FIATS[row.fiat_currency].decimals : 2;
  const view: TransactionView = {
    merchant_transaction_id: row.merchant_transaction_id,
    partner_user_id: row.partner_user_id,
    type: row.type,
    status: row.status,
    currency: row.currency,
    network: row.network,
    crypto_amount: row.settled_crypto_minor === null ? '' : formatAmount(BigInt(row.settled_crypto_minor), cryptoDecimals),
    fiat_currency: row.fiat_currency,
    // Empty while the user has not chosen an amount yet (a session created without one).
    fiat_amount: row.quote_fiat_minor === null ? '' : formatAmount(BigInt(row.quote_fiat_minor), fiatDecimals, fiatDecimals),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
  if (row.payment_method) view.payment_method = row.payment_method;
  if (row.tx_hash) view.tx_hash = row.tx_hash;
  if (row.status === 'failed' && row.failure_reason) view.failure_reason = row.failure_reason;
  return view;
}

export function toUpdateMessage(row: TransactionViewRow, occurredAt: Date): TransactionUpdate {
  const { created_at: _created, updated_at: _updated, ...fields } = toTransactionView(row);
  return { event: 'tx.update', ...fields, occurred_at: new Date(occurredAt).toISOString() };
}
