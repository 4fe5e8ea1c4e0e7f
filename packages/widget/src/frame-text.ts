import type { StatusChange } from '@proof-ramp/loader/protocol';

/**
 * What the shell shows and tells the partner's page, without I/O: readable errors, step titles, the
 * widget-level status. The full widget app replaces the shell; these rules move into it.
 */

/** The part of GET /embed/v1/session's state the shell reads. */
export interface ShellState {
  transaction: {
    merchant_transaction_id: string;
    type: string;
    status: string;
    currency: string;
    network: string;
    payment_method?: string;
  };
  quote: { crypto_amount: string; fiat_amount: string; fiat_currency: string } | null;
  payment?: { current?: unknown } | null;
  terms?: Record<string, unknown>;
  next_step: string;
}

const STEPS: Record<string, string> = {
  amount: 'Choose an amount',
  verification: 'Verify your identity',
  verification_pending: 'We are checking your identity',
  payment: 'Pay',
  payment_challenge: 'Confirm the payment with your bank',
  payout_card: 'Add the card to be paid on',
  deposit: 'Send your crypto',
  processing: 'Your order is being processed',
  result: 'Your order is finished',
};

/** The user's words for a step (an unknown step by its name, so a newer server still shows something). */
export function stepTitle(step: string): string {
  return STEPS[step] ?? step.replace(/_/g, ' ');
}

const START_AGAIN = 'Go back to the site and start again.';

/**
 * What the user reads when the session cannot be opened, by the embed API's error code (or the
 * shell's own: network_error, invalid_parameter, not_embedded). The developer's message goes to the
 * partner's onError instead: it is written for them, not for the user.
 */
export function readableError(code: string, fields: string[] = []): string {
  switch (code) {
    case 'invalid_signature':
      if (fields.includes('widget_id')) return `This order was made for another widget. ${START_AGAIN}`;
      return `The details of this order were changed on the way${fields.length ? ` (${fields.join(', ')})` : ''}, so it cannot be trusted. ${START_AGAIN}`;
    case 'session_already_used':
      return `This order has expired or was already opened. ${START_AGAIN}`;
    case 'invalid_token':
    case 'not_found':
      return `This order is not valid. ${START_AGAIN}`;
    case 'invalid_parameter':
    case 'validation_error':
    case 'missing_param':
      return `The site sent incomplete order details. ${START_AGAIN}`;
    case 'rate_limit_exceeded':
      return 'Too many attempts. Wait a minute, then try again.';
    case 'network_error':
      return 'The service cannot be reached. Check your connection, then try again.';
    case 'not_embedded':
      return 'This page only works inside the site that sent you here.';
    default:
      return `Something went wrong. ${START_AGAIN}`;
  }
}

/**
 * The widget-level status to report for a freshly opened state, or null to report none. The shell
 * knows only the obvious ones: `new` (opened, no payment yet), `completed`, `cancelled`; the app
 * follows the session live and reports the rest (pending, paid, order_failed, deposit_*). Before an
 * amount is picked there is no quote: the fiat currency is then the one the partner's call gave.
 */
export function openingStatus(state: ShellState, fiatCurrency = ''): StatusChange | null {
  const { transaction, quote } = state;
  let status: string | null = null;
  if (transaction.status === 'completed' || transaction.status === 'cancelled') status = transaction.status;
  else if (transaction.status === 'pending' && !state.payment?.current && state.next_step !== 'deposit') status = 'new';
  if (status === null) return null;
  return {
    amount: quote?.crypto_amount ?? '',
    currency: transaction.currency,
    network: transaction.network,
    fiat_amount: quote?.fiat_amount ?? '',
    fiat_currency: quote?.fiat_currency ?? fiatCurrency,
    merchant_transaction_id: transaction.merchant_transaction_id,
    status,
    payment_method: transaction.payment_method ?? null,
  };
}
