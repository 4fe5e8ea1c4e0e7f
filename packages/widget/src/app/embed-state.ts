/**
 * The embed API's state (GET /embed/v1/session), as the widget reads it. Every action answers the
 * same state, so one reply draws the next step. Field names are the API's own.
 */
export type Step =
  | 'amount'
  | 'verification'
  | 'verification_pending'
  | 'payment'
  | 'payment_challenge'
  | 'payout_card'
  | 'deposit'
  | 'processing'
  | 'result';

export interface Quote {
  crypto_amount: string;
  fiat_amount: string;
  fiat_currency: string;
  rate: string;
  partner_fee: string;
  network_fee: string;
  expires_at: string | null;
  expired: boolean;
}

export interface PaymentAttempt {
  attempt_id: string;
  status: 'pending' | 'requires_action' | 'captured' | 'declined' | 'failed' | 'refunded';
  method: 'card' | 'apple_pay' | 'google_pay';
  card?: { brand: string; last4: string };
  decline_reason?: string;
  challenge?: { kind: 'three_ds'; prompt: string };
}

export interface DepositTransfer {
  tx_hash: string;
  amount: string;
  confirmations: number;
  status: 'unconfirmed' | 'confirmed' | 'reorged';
  late?: boolean;
}

export interface SellState {
  deposit: {
    address: string;
    currency: string;
    network: string;
    amount: string | null;
    deadline: string;
    required_confirmations: number;
    seen: boolean;
    confirmations: number;
    received_amount: string | null;
    transfers: DepositTransfer[];
  };
  payout: {
    card: { brand: string; last4: string } | null;
    status: 'awaiting_card' | 'queued' | 'pending' | 'paid' | 'declined' | null;
    decline_reason?: string | null;
    amount: string | null;
    fiat_currency: string;
  };
}

export interface Terms {
  currencies?: string[] | null;
  networks?: string[] | null;
  fiat_currencies?: string[] | null;
  lang?: string | null;
  theme?: string | null;
  redirect_url?: string | null;
  fix_currency?: unknown;
  fix_network?: unknown;
  fix_amount?: unknown;
  fix_fiat_currency?: unknown;
  fix_fiat_amount?: unknown;
}

export interface EmbedState {
  transaction: {
    merchant_transaction_id: string;
    type: 'buy' | 'sell';
    status: 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'expired' | string;
    failure_reason?: string;
    currency: string;
    network: string;
    address: string;
    payment_method?: string;
  };
  terms: Terms;
  quote: Quote | null;
  verification: {
    status: string;
    required: boolean;
    uploaded: string[];
    resubmit_reason?: string;
    failure_reason?: string;
  };
  payment: {
    attempts_used: number;
    attempts_left: number;
    max_attempts: number;
    can_start: boolean;
    current: PaymentAttempt | null;
  } | null;
  sell: SellState | null;
  next_step: Step;
}

/** A fix_* term counts as set when true or a non-empty list (the session response may give either). */
export function isFixed(value: unknown): boolean {
  return value === true || value === 'true' || (Array.isArray(value) && value.length > 0);
}
