import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { listAttempts } from './payment-attempt-store.ts';
import { IN_FLIGHT_STATUSES } from './payment-vocabulary.ts';

/**
 * Whether a payment of this transaction is under way (being authorised, awaiting its challenge or its
 * outcome). Runs on the caller's `db`: inside a transaction that holds the transaction row's lock (as
 * startPayment takes it first), the answer stays true until that transaction ends.
 */
export async function paymentInFlight(db: Kysely<Tables>, transactionId: string): Promise<boolean> {
  const attempts = await listAttempts(db, transactionId);
  return attempts.some((attempt) => (IN_FLIGHT_STATUSES as readonly string[]).includes(attempt.status));
}
