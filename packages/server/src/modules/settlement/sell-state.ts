import { type Static, Type } from 'typebox';
import { ASSETS, FIATS, isAsset, isFiat, isNetwork } from '../../lib/catalog.ts';
import { formatAmount } from '../../lib/money.ts';
import type { Platform } from '../../platform.ts';
import { CARD_BRANDS } from '../payments/payment-source.ts';
import type { TransactionRow } from '../transactions/transaction-store.ts';
import {
  type DepositRow,
  depositsOf,
  findPayoutCard,
  findPayoutOfTransaction,
  type PayoutCardRow,
  type PayoutRow,
} from './off-ramp-store.ts';
import { DEPOSIT_STATUSES, PAYOUT_DECLINE_REASONS, PAYOUT_STATUSES } from './off-ramp-vocabulary.ts';

/** Where a sell stands, as the widget shows it: where to send the crypto, what arrived, and the payout. */
export const SellStateSchema = Type.Object({
  deposit: Type.Object({
    address: Type.String({ description: 'Where the user sends the crypto: this sell’s own address.' }),
    currency: Type.String(),
    network: Type.String(),
    amount: Type.Union([Type.String(), Type.Null()], {
      description: 'The exact crypto amount to send (the quote’s); null until an amount is picked.',
    }),
    deadline: Type.String({ format: 'date-time', description: 'Until when a deposit is taken (created_at + SELL_DEPOSIT_WINDOW).' }),
    required_confirmations: Type.Integer({
      minimum: 1,
      description: 'Blocks on top of the deposit’s before it counts (CONFIRMATIONS_<NETWORK>).',
    }),
    seen: Type.Boolean({ description: 'A transfer into the address has been seen on the chain.' }),
    confirmations: Type.Integer({ minimum: 0, description: 'The shallowest counting transfer’s confirmations (0 before one is seen).' }),
    received_amount: Type.String({
      description: 'What has arrived, in the asset (transfers that left the chain in a reorganisation excluded).',
    }),
    transfers: Type.Array(
      Type.Object({
        tx_hash: Type.String(),
        amount: Type.String(),
        confirmations: Type.Integer({ minimum: 0 }),
        status: Type.Enum(DEPOSIT_STATUSES),
        late: Type.Boolean({ description: 'It arrived after the sell stopped taking deposits: nothing of it is paid out.' }),
      }),
    ),
  }),
  payout: Type.Object({
    card: Type.Union([Type.Null(), Type.Object({ brand: Type.Enum(CARD_BRANDS), last4: Type.String({ pattern: '^[0-9]{4}$' }) })]),
    status: Type.Union([Type.Null(), Type.Enum(PAYOUT_STATUSES)], { description: 'Null until the deposit is confirmed.' }),
    decline_reason: Type.Optional(Type.Enum(PAYOUT_DECLINE_REASONS)),
    amount: Type.Union([Type.Null(), Type.String()], { description: 'The fiat amount paid out, once fixed by the confirmed deposit.' }),
    fiat_currency: Type.String(),
  }),
});
export type SellState = Static<typeof SellStateSchema>;

/** The sell part of the embed state (null for a buy). */
export async function getSellState(platform: Platform, transaction: TransactionRow): Promise<SellState | null> {
  if (transaction.type !== 'sell') return null;
  const [deposits, card, payout] = await Promise.all([
    depositsOf(platform.db, transaction.id),
    findPayoutCard(platform.db, transaction.id),
    findPayoutOfTransaction(platform.db, transaction.id),
  ]);
  const network = transaction.network;
  const depth =
    isNetwork(network) && platform.providers.chains.networks.includes(network) ? platform.providers.chains.confirmationsFor(network) : 1;
  return toSellState(transaction, { deposits, card, payout, depth, windowMs: platform.config.sellDepositWindowMs });
}

export function toSellState(
  transaction: TransactionRow,
  parts: { deposits: DepositRow[]; card: PayoutCardRow | undefined; payout: PayoutRow | undefined; depth: number; windowMs: number },
): SellState {
  const cryptoDecimals = isAsset(transaction.currency) ? ASSETS[transaction.currency].decimals : 0;
  const fiatDecimals = isFiat(transaction.fiat_currency) ? FIATS[transaction.fiat_currency].decimals : 2;
  const crypto = (minor: bigint) => formatAmount(minor, cryptoDecimals);
  const live = parts.deposits.filter((row) => row.status !== 'reorged');
  const counting = live.filter((row) => row.disposition !== 'late');
  const received = counting.reduce((sum, row) => sum + BigInt(row.amount_minor), 0n);
  const { payout } = parts;
  return {
    deposit: {
      address: transaction.address,
      currency: transaction.currency,
      network: transaction.network,
      amount: transaction.quote_crypto_minor === null ? null : crypto(BigInt(transaction.quote_crypto_minor)),
      deadline: new Date(new Date(transaction.created_at).getTime() + parts.windowMs).toISOString(),
      required_confirmations: parts.depth,
      seen: counting.length > 0,
      confirmations: counting.length === 0 ? 0 : Math.min(...counting.map((row) => row.confirmations)),
      received_amount: crypto(received),
      transfers: live.map((row) => ({
        tx_hash: row.tx_hash,
        amount: crypto(BigInt(row.amount_minor)),
        confirmations: row.confirmations,
        status: row.status,
        late: row.disposition === 'late',
      })),
    },
    payout: {
      card: parts.card ? { brand: parts.card.brand, last4: parts.card.last4 } : null,
      status: payout?.status ?? null,
      ...(payout?.status === 'declined' && payout.decline_reason
        ? { decline_reason: payout.decline_reason as (typeof PAYOUT_DECLINE_REASONS)[number] }
        : {}),
      amount: payout ? formatAmount(BigInt(payout.amount_minor), fiatDecimals, fiatDecimals) : null,
      fiat_currency: transaction.fiat_currency,
    },
  };
}
