import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { PaymentAttemptsTable } from './tables.ts';

export type PaymentAttemptRow = Selectable<PaymentAttemptsTable>;
export type NewPaymentAttempt = Insertable<PaymentAttemptsTable>;

/** A transaction's attempts, first to last. */
export async function listAttempts(db: Kysely<Tables>, transactionId: string): Promise<PaymentAttemptRow[]> {
  return db.selectFrom('payment_attempts').selectAll().where('transaction_id', '=', transactionId).orderBy('number').execute();
}

export async function insertAttempt(db: Kysely<Tables>, values: NewPaymentAttempt): Promise<PaymentAttemptRow> {
  return db.insertInto('payment_attempts').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function findAttempt(db: Kysely<Tables>, id: string): Promise<PaymentAttemptRow | undefined> {
  return db.selectFrom('payment_attempts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findAttemptByProviderId(
  db: Kysely<Tables>,
  provider: string,
  providerPaymentId: string,
): Promise<PaymentAttemptRow | undefined> {
  return db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('provider', '=', provider)
    .where('provider_payment_id', '=', providerPaymentId)
    .executeTakeFirst();
}

/** Reads an attempt and locks it until the caller's transaction ends (lock its transaction first: see lockTransaction). */
export async function lockAttempt(trx: Kysely<Tables>, id: string): Promise<PaymentAttemptRow | undefined> {
  return trx.selectFrom('payment_attempts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * Updates an attempt, only while it is still in `onlyIf` when given (a conditional update: of two
 * racing writers one wins, the other gets undefined and knows it lost).
 */
export async function updateAttempt(
  db: Kysely<Tables>,
  id: string,
  values: Updateable<PaymentAttemptsTable>,
  onlyIf?: { status: PaymentAttemptRow['status'] },
): Promise<PaymentAttemptRow | undefined> {
  return db
    .updateTable('payment_attempts')
    .set(values)
    .where('id', '=', id)
    .$if(onlyIf !== undefined, (query) => query.where('status', '=', onlyIf!.status))
    .returningAll()
    .executeTakeFirst();
}
