import type { Platform } from '../../platform.ts';
import { changeStatus, IllegalTransitionError } from './change-status.ts';
import { listExpiredPending } from './transaction-store.ts';

/**
 * Fails sessions that can no longer complete: a buy still pending once its init token has expired
 * (the user can no longer load the widget to pay; payment windows extend this when payments land),
 * and a sell whose deposit window (SELL_DEPOSIT_WINDOW, default 6 h) has passed. Safe to run on
 * every node at once: a transaction another node already moved is skipped.
 */
export async function expireTransactions(platform: Platform, limit = 500): Promise<number> {
  const now = platform.clock.now();
  const sellCutoff = new Date(now.getTime() - platform.config.sellDepositWindowMs);
  const due = await listExpiredPending(platform.db, { now, sellCutoff, limit });
  let expired = 0;
  for (const row of due) {
    try {
      await changeStatus(platform, {
        partnerId: row.partner_id,
        merchantTransactionId: row.merchant_transaction_id,
        to: 'failed',
        reason: row.type === 'buy' ? 'session_expired' : 'deposit_expired',
      });
      expired++;
    } catch (error) {
      if (!(error instanceof IllegalTransitionError)) throw error;
    }
  }
  return expired;
}
