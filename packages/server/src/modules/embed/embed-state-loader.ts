import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { getKycState, type KycState } from '../kyc/kyc-service.ts';
import { getPaymentState, type PaymentState } from '../payments/payment-service.ts';
import { getSellState, type SellState } from '../settlement/off-ramp-service.ts';
import { findTransactionById, type TransactionRow } from '../transactions/transaction-store.ts';
import { type EmbedQuote, type EmbedStep, nextStep, quoteOf, sessionTerms, transactionSummary } from './embed-state.ts';
import type { WidgetCredentialClaims } from './widget-credential.ts';

export interface EmbedState {
  transaction: ReturnType<typeof transactionSummary>;
  terms: Record<string, unknown>;
  quote: EmbedQuote | null;
  verification: KycState;
  payment: PaymentState | null;
  /** Sells only: the deposit address, amount, deadline and progress, and the payout. */
  sell: SellState | null;
  next_step: EmbedStep;
}

export async function loadTransaction(platform: Platform, claims: WidgetCredentialClaims): Promise<TransactionRow> {
  const transaction = await findTransactionById(platform.db, claims.pid, claims.tid);
  if (!transaction) throw new ApiError('not_found', 'No such session.');
  return transaction;
}

/** Everything the iframe needs to draw the step the user is on, read fresh. */
export async function loadEmbedState(platform: Platform, claims: WidgetCredentialClaims): Promise<EmbedState> {
  const transaction = await loadTransaction(platform, claims);
  const [verification, payment, sell] = await Promise.all([
    getKycState(platform, { partnerId: transaction.partner_id, partnerUserId: transaction.partner_user_id }),
    transaction.type === 'buy'
      ? getPaymentState(platform, { partnerId: transaction.partner_id, merchantTransactionId: transaction.merchant_transaction_id })
      : Promise.resolve(null),
    getSellState(platform, transaction),
  ]);
  return {
    transaction: transactionSummary(transaction),
    terms: sessionTerms(transaction),
    quote: quoteOf(transaction, platform.clock.now()),
    verification,
    payment,
    sell,
    next_step: nextStep(
      transaction,
      verification,
      payment && { awaitingChallenge: payment.current?.status === 'requires_action' },
      sell && {
        payoutCardNeeded: transaction.status === 'processing' ? sell.payout.status === 'awaiting_card' : sell.payout.card === null,
      },
    ),
  };
}
