import type { StatusChange } from '@proof-ramp/loader/protocol';
import type { EmbedState } from './embed-state.ts';

/**
 * What the partner's page hears, from the states the widget sees, without I/O: the widget-level
 * status (not the API's enum), and when onPaymentFinished and onSellTransferEnabled fire. The widget
 * follows its state live, so these fire also when the transaction moves on the server.
 */

/** The widget-level status of a state (spec: new, pending, paid, order_failed, completed, cancelled; sells also deposit_*). */
export function widgetStatus(state: EmbedState): string {
  const { transaction, payment, sell } = state;
  switch (transaction.status) {
    case 'completed':
      return 'completed';
    case 'cancelled':
    case 'expired':
      return 'cancelled';
    case 'failed':
      // An order left to lapse was not declined: to the page it ended unfinished, as if closed.
      return ['session_expired', 'deposit_expired'].includes(transaction.failure_reason ?? '') ? 'cancelled' : 'order_failed';
  }
  if (transaction.type === 'sell') {
    if (transaction.status === 'processing' || sell?.deposit.seen) return 'deposit_received';
    return state.next_step === 'deposit' ? 'deposit_waiting' : 'new';
  }
  if (transaction.status === 'processing') return 'paid';
  switch (payment?.current?.status) {
    case undefined:
      return 'new';
    case 'captured':
      return 'paid';
    case 'declined':
    case 'failed':
    case 'refunded':
      // A refunded attempt paid nothing (the order stays open for another attempt).
      return 'order_failed';
    default:
      return 'pending';
  }
}

/** onStatusChange's documented payload for a state. Before an amount is picked the amounts are empty. */
export function statusChange(state: EmbedState, fallbackFiatCurrency = ''): StatusChange {
  const { transaction, quote } = state;
  return {
    amount: quote?.crypto_amount ?? '',
    currency: transaction.currency,
    network: transaction.network,
    fiat_amount: quote?.fiat_amount ?? '',
    fiat_currency: quote?.fiat_currency ?? fallbackFiatCurrency,
    merchant_transaction_id: transaction.merchant_transaction_id,
    status: widgetStatus(state),
    payment_method: state.payment?.current?.method ?? transaction.payment_method ?? null,
  };
}

/**
 * A key that changes each time a buy's payment (with verification) finishes, whatever the outcome:
 * an attempt captured, declined or failed, or the order failing (a rejected identity, say). Null
 * while nothing has finished. onPaymentFinished fires once per key.
 */
export function paymentFinishedKey(state: EmbedState): string | null {
  if (state.transaction.type !== 'buy') return null;
  const current = state.payment?.current;
  if (current && ['captured', 'declined', 'failed', 'refunded'].includes(current.status)) return `${current.attempt_id}:${current.status}`;
  if (state.transaction.status === 'failed') return `order:failed`;
  return null;
}

/** onSellTransferEnabled's payload once the deposit address with its exact amount is shown, else null. */
export function sellTransfer(state: EmbedState) {
  const deposit = state.sell?.deposit;
  if (state.transaction.type !== 'sell' || state.next_step !== 'deposit' || !deposit?.amount) return null;
  return {
    amount: deposit.amount,
    currency: deposit.currency,
    network: deposit.network,
    address: deposit.address,
    id: state.transaction.merchant_transaction_id,
    flow_id: 'payout' as const,
  };
}

/** The partner events a new state calls for, given what was already told. Pure: the caller posts them. */
export interface Told {
  status?: string;
  paymentFinished: Set<string>;
  sellTransfer?: string;
}

export function eventsFor(state: EmbedState, told: Told, fallbackFiatCurrency = ''): { name: string; data: unknown }[] {
  const events: { name: string; data: unknown }[] = [];
  const change = statusChange(state, fallbackFiatCurrency);
  if (change.status !== told.status) {
    told.status = change.status;
    events.push({ name: 'onStatusChange', data: change });
  }
  const finished = paymentFinishedKey(state);
  if (finished && !told.paymentFinished.has(finished)) {
    told.paymentFinished.add(finished);
    events.push({
      name: 'onPaymentFinished',
      data: { payment_method: state.payment?.current?.method ?? state.transaction.payment_method ?? null },
    });
  }
  const transfer = sellTransfer(state);
  const transferKey = transfer && `${transfer.address}:${transfer.amount}`;
  if (transfer && transferKey !== told.sellTransfer) {
    told.sellTransfer = transferKey!;
    events.push({ name: 'onSellTransferEnabled', data: transfer });
  }
  return events;
}
