import type { PaymentSourceInput } from '../../src/modules/payments/payment-service.ts';
import { paymentsSandbox } from './platform-internals.ts';
import type { TestServer } from './test-platform.ts';

/** What the payments tests share: a card source, waiting for the sandbox's outcome, and reading what was stored. */

export const card = (number: string, overrides: Record<string, unknown> = {}): PaymentSourceInput => ({
  method: 'card',
  card: { number, expiry_month: 12, expiry_year: 2030, cvc: '123', ...overrides },
});

/** Lets the sandbox call back, and the callbacks worker apply what arrived. */
export async function settle(server: Pick<TestServer, 'platform' | 'background'>): Promise<void> {
  await paymentsSandbox(server).idle();
  await server.background!.callbacks.drain();
}

export async function attemptsOf(server: Pick<TestServer, 'platform'>, merchantTransactionId: string) {
  const transaction = await server.platform.db
    .selectFrom('transactions')
    .select('id')
    .where('merchant_transaction_id', '=', merchantTransactionId)
    .executeTakeFirstOrThrow();
  return server.platform.db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('transaction_id', '=', transaction.id)
    .orderBy('number')
    .execute();
}

export async function historyOf(server: Pick<TestServer, 'platform'>, merchantTransactionId: string) {
  const { id } = await server.platform.db
    .selectFrom('transactions')
    .select('id')
    .where('merchant_transaction_id', '=', merchantTransactionId)
    .executeTakeFirstOrThrow();
  const events = await server.platform.db
    .selectFrom('transaction_events')
    .select(['seq', 'status', 'reason'])
    .where('transaction_id', '=', id)
    .orderBy('seq')
    .execute();
  const webhooks = await server.platform.db
    .selectFrom('webhook_deliveries')
    .select(['seq', 'payload'])
    .where('transaction_id', '=', id)
    .orderBy('seq')
    .execute();
  return { id, events, webhooks };
}
