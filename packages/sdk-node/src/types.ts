/** Shapes of the partner API (docs: shared partner-api contract). Amounts are decimal strings. */

export type TransactionType = 'buy' | 'sell';
export type TransactionStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';
export type KycState = 'not_started' | 'pending' | 'verified' | 'failed';

export const TERMINAL_STATUSES: ReadonlySet<TransactionStatus> = new Set(['completed', 'failed', 'cancelled']);

export function isTerminalStatus(status: string): boolean {
  return TERMINAL_STATUSES.has(status as TransactionStatus);
}

/** POST /widget/session body. Give exactly one of `amount` (crypto) or `fiat_amount`. */
export interface SessionParams {
  partner_user_id: string;
  user_email: string;
  currency: string;
  /** May be omitted when the partner has a default network for the currency. */
  network?: string;
  amount?: string;
  /** Older name for `amount`. */
  crypto_amount?: string;
  fiat_amount?: string;
  fiat_currency?: string;
  type?: TransactionType;
  redirect_url?: string;
  /** The end user's IP as your backend saw it; bound into the session signature. */
  client_ip?: string;
  /** Used only when your partner account may supply addresses. */
  address?: string;
  /** Your own id, unique per partner; repeating it returns the same session. */
  merchant_transaction_id?: string;
}

/** Everything the widget needs: pass it verbatim to `proofWidget.run()` in the browser. */
export interface SessionResponse {
  merchant_transaction_id: string;
  widget_id: string;
  address: string;
  signature: string;
  init_token: string;
  init_token_type: 'sdk_partner_authorization' | 'sdk_customer_token';
  currency: string;
  currencies: string[];
  fix_currency: boolean;
  network: string;
  networks: string[];
  fix_network: string[];
  amount: string;
  fix_amount: boolean;
  fiat_currency: string;
  fiat_currencies: string[];
  fix_fiat_currency: boolean;
  fiat_amount: string;
  fix_fiat_amount: boolean;
  type: TransactionType;
  lang: string;
  theme: string;
  redirect_url: string | null;
  widget_url: string;
}

/** GET /widget/transactions/{id}. `crypto_amount` is "" until the status reaches processing. */
export interface Transaction {
  merchant_transaction_id: string;
  partner_user_id: string;
  type: TransactionType;
  status: TransactionStatus;
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

/** GET /widget/users/{partner_user_id}/kyc-status. */
export interface KycStatus {
  partner_user_id: string;
  status: KycState;
  verified_at?: string;
}

/** A WebSocket `tx.update` message; polled states are reported in the same shape. */
export interface TransactionUpdate {
  event: 'tx.update';
  merchant_transaction_id: string;
  partner_user_id: string;
  type: TransactionType;
  status: TransactionStatus;
  payment_method?: string;
  failure_reason?: string;
  currency: string;
  network: string;
  fiat_currency: string;
  fiat_amount: string;
  crypto_amount: string;
  occurred_at: string;
}

/** The test event an operator can send to check an endpoint. */
export interface WebhookTestEvent {
  event: 'test';
  test_id: string;
  message: string;
  created_at: string;
}

/** A verified webhook body: a transaction status change (the transaction's fields) or a test event. */
export type WebhookPayload = Transaction | WebhookTestEvent;
