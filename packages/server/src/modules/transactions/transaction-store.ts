import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { TransactionsTable } from './tables.ts';
import type { TransactionType } from './transaction-status.ts';

export type TransactionRow = Selectable<TransactionsTable>;
export type NewTransaction = Insertable<TransactionsTable>;

/**
 * Creates a transaction unless the partner already has one with this merchant_transaction_id.
 * Returns false on that conflict; concurrent callers with one id serialise on the unique index.
 */
export async function insertTransaction(db: Kysely<Tables>, values: NewTransaction): Promise<boolean> {
  const inserted = await db
    .insertInto('transactions')
    .values(values)
    .onConflict((oc) => oc.columns(['partner_id', 'merchant_transaction_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Looks a transaction up within one partner: another partner's id is simply not found. */
export async function findTransaction(
  db: Kysely<Tables>,
  partnerId: string,
  merchantTransactionId: string,
): Promise<TransactionRow | undefined> {
  return db
    .selectFrom('transactions')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('merchant_transaction_id', '=', merchantTransactionId)
    .executeTakeFirst();
}

/**
 * Reads a transaction and locks its row until the caller's database transaction ends: by the
 * partner's id (another partner's is not found) or by the platform's own id. Modules that change
 * their own rows together with a transaction's status lock it first, so they serialise with every
 * status change (changeStatus locks the same row) and always take their locks in the same order.
 */
export async function lockTransaction(
  trx: Kysely<Tables>,
  where: { id: string } | { partnerId: string; merchantTransactionId: string },
): Promise<TransactionRow | undefined> {
  const query = trx.selectFrom('transactions').selectAll();
  const filtered =
    'id' in where
      ? query.where('id', '=', where.id)
      : query.where('partner_id', '=', where.partnerId).where('merchant_transaction_id', '=', where.merchantTransactionId);
  return filtered.forUpdate().executeTakeFirst();
}

/** The columns the public view needs; reading the stored session document too would double the work. */
export const VIEW_COLUMNS = [
  'merchant_transaction_id',
  'partner_user_id',
  'type',
  'status',
  'currency',
  'network',
  'settled_crypto_minor',
  'fiat_currency',
  'quote_fiat_minor',
  'payment_method',
  'tx_hash',
  'failure_reason',
  'created_at',
  'updated_at',
] as const;

export type TransactionViewRow = Pick<TransactionRow, (typeof VIEW_COLUMNS)[number]>;

export async function getTransactionForPartner(
  db: Kysely<Tables>,
  partnerId: string,
  merchantTransactionId: string,
): Promise<TransactionViewRow | undefined> {
  return db
    .selectFrom('transactions')
    .select(VIEW_COLUMNS)
    .where('partner_id', '=', partnerId)
    .where('merchant_transaction_id', '=', merchantTransactionId)
    .executeTakeFirst();
}

/** A user's most recent transactions (newest `limit`), oldest first. */
export async function listRecentTransactionsOfUser(
  db: Kysely<Tables>,
  partnerId: string,
  partnerUserId: string,
  limit: number,
): Promise<TransactionRow[]> {
  const rows = await db
    .selectFrom('transactions')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('partner_user_id', '=', partnerUserId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse();
}

/**
 * The partners using this merchant_transaction_id (at most two are read: enough to tell that it is
 * ambiguous), or only `partnerId`'s when given. For operator calls, which name no partner.
 */
export async function findOwnersOfMerchantTransactionId(
  db: Kysely<Tables>,
  merchantTransactionId: string,
  partnerId?: string,
): Promise<Array<{ partner_id: string }>> {
  return db
    .selectFrom('transactions')
    .select('partner_id')
    .where('merchant_transaction_id', '=', merchantTransactionId)
    .$if(partnerId !== undefined, (query) => query.where('partner_id', '=', partnerId!))
    .limit(2)
    .execute();
}

/**
 * Fails, in one statement, up to `limit` pending transactions that can no longer complete: buys whose
 * init token expired before `now`, sells created before `sellCutoff`, unless another module holds them
 * open (`holdExpiry`: a sell whose deposit is confirming). Rows another transaction holds
 * locked (a status change under way) are skipped, not waited for; the next run sees them again if
 * they are still pending. Returns the changed rows, with their new version.
 */
export async function failExpiredPending(
  trx: Kysely<Tables>,
  due: { now: Date; sellCutoff: Date; limit: number; reasons: Record<TransactionType, string> },
) {
  return trx
    .updateTable('transactions')
    .set((eb) => ({
      status: 'failed',
      failure_reason: eb.case().when('type', '=', 'buy').then(due.reasons.buy).else(due.reasons.sell).end(),
      version: eb('version', '+', 1),
      updated_at: due.now,
    }))
    .where('status', '=', 'pending')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('transactions')
        .select('id')
        .where('status', '=', 'pending')
        .where('expiry_held_at', 'is', null)
        .where((inner) =>
          inner.or([
            inner.and([inner('type', '=', 'buy'), inner('init_token_expires_at', '<', due.now)]),
            inner.and([inner('type', '=', 'sell'), inner('created_at', '<', due.sellCutoff)]),
          ]),
        )
        .limit(due.limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'partner_id', 'version', ...VIEW_COLUMNS])
    .execute();
}

/** A transaction by the platform's own id, within one partner (a credential names both). */
export async function findTransactionById(db: Kysely<Tables>, partnerId: string, id: string): Promise<TransactionRow | undefined> {
  return db.selectFrom('transactions').selectAll().where('id', '=', id).where('partner_id', '=', partnerId).executeTakeFirst();
}

export interface LockedQuote {
  cryptoMinor: bigint;
  fiatMinor: bigint;
  feeFiatMinor: bigint;
  networkFeeCryptoMinor: bigint;
  rate: string;
  expiresAt: Date;
}

/**
 * Locks a new quote on a pending transaction (the amount the user picked, or fresh prices for the
 * same amount). Returns false when the transaction is no longer pending. The caller makes sure no
 * payment is being taken at the old quote meanwhile.
 */
export async function lockQuote(db: Kysely<Tables>, change: { id: string; quote: LockedQuote; now: Date }): Promise<boolean> {
  const { quote } = change;
  const updated = await db
    .updateTable('transactions')
    .set({
      quote_crypto_minor: quote.cryptoMinor.toString(),
      quote_fiat_minor: quote.fiatMinor.toString(),
      fee_fiat_minor: quote.feeFiatMinor.toString(),
      network_fee_crypto_minor: quote.networkFeeCryptoMinor.toString(),
      rate: quote.rate,
      quote_expires_at: quote.expiresAt,
      updated_at: change.now,
    })
    .where('id', '=', change.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/**
 * Keeps a pending transaction open past its deadline: the expiry job leaves it until the hold is
 * released or the transaction moves on. Settlement holds a sell whose deposit arrived in its window
 * while the deposit gains its confirmations. Run inside the caller's transaction, under its row lock.
 */
export async function holdExpiry(trx: Kysely<Tables>, id: string, now: Date): Promise<void> {
  await trx.updateTable('transactions').set({ expiry_held_at: now }).where('id', '=', id).where('status', '=', 'pending').execute();
}

/** Ends a hold (the deposit that justified it left the chain): the expiry job judges the transaction again. */
export async function releaseExpiryHold(trx: Kysely<Tables>, id: string): Promise<void> {
  await trx.updateTable('transactions').set({ expiry_held_at: null }).where('id', '=', id).execute();
}
