/* Generated from the server's OpenAPI document by `npm run generate:sdk-types`; do not edit by hand. */

export interface SessionParams {
  /**
   * The partner's stable id of the end user.
   */
  partner_user_id: string;
  user_email: string;
  currency: string;
  /**
   * May be omitted when the partner has a default network for the currency.
   */
  network?: string | null;
  /**
   * Crypto amount.
   */
  amount?: string | null;
  /**
   * Older name for amount.
   */
  crypto_amount?: string | null;
  /**
   * Fiat amount instead of a crypto amount.
   */
  fiat_amount?: string | null;
  fiat_currency?: string | null;
  type?: 'buy' | 'sell' | null;
  redirect_url?: string | null;
  /**
   * The end user's IP as the partner backend saw it; bound into the signature.
   */
  client_ip?: string | null;
  /**
   * Destination wallet of a buy, only from partners allowed to supply addresses; refused (400) from any other.
   */
  address?: string | null;
  /**
   * Partner-chosen id, unique per partner; a repeat returns the same session.
   */
  merchant_transaction_id?: string | null;
}

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
  type: 'buy' | 'sell';
  lang: string;
  theme: string;
  redirect_url: string | null;
  widget_url: string;
}

export interface Transaction {
  merchant_transaction_id: string;
  partner_user_id: string;
  type: 'buy' | 'sell';
  status: 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';
  currency: string;
  network: string;
  /**
   * Empty until the status reaches processing.
   */
  crypto_amount: string;
  fiat_currency: string;
  fiat_amount: string;
  created_at: string;
  updated_at: string;
  payment_method?: string;
  /**
   * (ours) The hash of the transfer that delivered the crypto of a buy; once it is known (completed).
   */
  tx_hash?: string;
  /**
   * Why the transaction failed; only on failed.
   */
  failure_reason?: string;
}

export interface KycStatus {
  partner_user_id: string;
  status: 'not_started' | 'pending' | 'verified' | 'failed';
  verified_at?: string;
}

export interface TransactionUpdate {
  event: 'tx.update';
  merchant_transaction_id: string;
  partner_user_id: string;
  type: 'buy' | 'sell';
  status: 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';
  currency: string;
  network: string;
  /**
   * Empty until the status reaches processing.
   */
  crypto_amount: string;
  fiat_currency: string;
  fiat_amount: string;
  payment_method?: string;
  /**
   * (ours) The hash of the transfer that delivered the crypto of a buy; once it is known (completed).
   */
  tx_hash?: string;
  /**
   * Why the transaction failed; only on failed.
   */
  failure_reason?: string;
  occurred_at: string;
}

export interface WebhookTestEvent {
  event: 'test';
  test_id: string;
  message: string;
  created_at: string;
}
