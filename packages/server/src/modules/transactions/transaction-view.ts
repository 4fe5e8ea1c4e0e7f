import { ASSETS, FIATS, isAsset, isFiat } from '../../lib/catalog.ts';
import { formatAmount } from '../../lib/money.ts';
import type { TransactionViewRow } from './transaction-store.ts';

export interface TransactionView {
  merchant_transaction_id: string;
  partner_user_id: string;
  type: 'buy' | 'sell';
  status: string;
  currency: string;
  network: string;
  crypto_amount: string;
  fiat_currency: string;
  fiat_amount: string;
  created_at: string;
  updated_at: string;
  payment_method?: string;
  failure_reason?: string;
}

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
    fiat_amount: formatAmount(BigInt(row.quote_fiat_minor), fiatDecimals, fiatDecimals),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
  if (row.payment_method) view.payment_method = row.payment_method;
  if (row.status === 'failed' && row.failure_reason) view.failure_reason = row.failure_reason;
  return view;
}

/** The `tx.update` message WebSocket subscribers receive: the view without its timestamps, plus when it happened. */
export function toUpdateMessage(row: TransactionViewRow, occurredAt: Date): Record<string, unknown> {
  const { created_at: _created, updated_at: _updated, ...fields } = toTransactionView(row);
  return { event: 'tx.update', ...fields, occurred_at: new Date(occurredAt).toISOString() };
}
