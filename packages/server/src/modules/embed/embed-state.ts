import { ASSETS, FIATS, isAsset, isFiat } from '../../lib/catalog.ts';
import { formatAmount } from '../../lib/money.ts';
import { isTerminal } from '../transactions/state-machine.ts';
import type { TransactionRow } from '../transactions/transaction-store.ts';

/** The step the iframe shows; a reloaded iframe resumes here. */
export const EMBED_STEPS = [
  'amount',
  'verification',
  'verification_pending',
  'payment',
  'payment_challenge',
  'payout_card',
  'deposit',
  'processing',
  'result',
] as const;
export type EmbedStep = (typeof EMBED_STEPS)[number];

/** The quote the transaction holds, as the widget shows it. */
export interface EmbedQuote {
  crypto_amount: string;
  fiat_amount: string;
  fiat_currency: string;
  rate: string;
  partner_fee: string;
  network_fee: string;
  expires_at: string | null;
  /** True once expires_at has passed: refresh it before paying. */
  expired: boolean;
}

/** The fields of the session response the widget needs: its options and what the partner fixed. */
export function sessionTerms(transaction: TransactionRow): Record<string, unknown> {
  const session = transaction.session as Record<string, unknown>;
  const pick = [
    'currencies',
    'networks',
    'fiat_currencies',
    'lang',
    'theme',
    'redirect_url',
    'fix_currency',
    'fix_network',
    'fix_amount',
    'fix_fiat_currency',
    'fix_fiat_amount',
  ];
  return Object.fromEntries(pick.map((name) => [name, session[name] ?? null]));
}

export function quoteOf(transaction: TransactionRow, now: Date): EmbedQuote | null {
  if (transaction.quote_crypto_minor === null || transaction.quote_fiat_minor === null) return null;
  const cryptoDecimals = isAsset(transaction.currency) ? ASSETS[transaction.currency].decimals : 0;
  const fiatDecimals = isFiat(transaction.fiat_currency) ? FIATS[transaction.fiat_currency].decimals : 2;
  const fiat = (minor: string | null) => (minor === null ? '0' : formatAmount(BigInt(minor), fiatDecimals, fiatDecimals));
  const expiresAt = transaction.quote_expires_at ? new Date(transaction.quote_expires_at) : null;
  return {
    crypto_amount: formatAmount(BigInt(transaction.quote_crypto_minor), cryptoDecimals),
    fiat_amount: fiat(transaction.quote_fiat_minor),
    fiat_currency: transaction.fiat_currency,
    rate: transaction.rate ?? '',
    partner_fee: fiat(transaction.fee_fiat_minor),
    network_fee:
      transaction.network_fee_crypto_minor === null ? '0' : formatAmount(BigInt(transaction.network_fee_crypto_minor), cryptoDecimals),
    expires_at: expiresAt?.toISOString() ?? null,
    expired: expiresAt !== null && expiresAt <= now,
  };
}

/**
 * The next step, from the transaction and where verification, payment (buy) and payout (sell) stand.
 * A sell asks for the payout card before it shows the deposit address, and again while processing
 * when the crypto arrived before any card was given (the payout waits for it).
 */
export function nextStep(
  transaction: Pick<TransactionRow, 'status' | 'type' | 'quote_fiat_minor'>,
  verification: { required: boolean; status: string },
  payment: { awaitingChallenge: boolean } | null,
  sell: { payoutCardNeeded: boolean } | null = null,
): EmbedStep {
  if (isTerminal(transaction.status)) return 'result';
  if (transaction.status === 'processing') return sell?.payoutCardNeeded ? 'payout_card' : 'processing';
  if (transaction.quote_fiat_minor === null) return 'amount';
  if (verification.required) return verification.status === 'pending' ? 'verification_pending' : 'verification';
  if (transaction.type === 'sell') return sell?.payoutCardNeeded ? 'payout_card' : 'deposit';
  return payment?.awaitingChallenge ? 'payment_challenge' : 'payment';
}

export function transactionSummary(transaction: TransactionRow) {
  return {
    merchant_transaction_id: transaction.merchant_transaction_id,
    type: transaction.type,
    status: transaction.status,
    ...(transaction.status === 'failed' && transaction.failure_reason ? { failure_reason: transaction.failure_reason } : {}),
    currency: transaction.currency,
    network: transaction.network,
    address: transaction.address,
    ...(transaction.payment_method ? { payment_method: transaction.payment_method } : {}),
    created_at: new Date(transaction.created_at).toISOString(),
    updated_at: new Date(transaction.updated_at).toISOString(),
  };
}
