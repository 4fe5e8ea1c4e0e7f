import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';

/**
 * Idempotency-Key records (Stripe's and the IETF draft's semantics): the first successful response
 * is kept for IDEMPOTENCY_TTL and replayed for the same body; another body with the key is refused.
 * Failed requests leave no record (their transaction rolls back), so a retry runs afresh.
 */
export interface StoredResponse {
  requestHash: string;
  response: Record<string, unknown>;
}

export async function findStoredResponse(
  db: Kysely<Tables>,
  partnerId: string,
  key: string,
  liveSince: Date,
): Promise<StoredResponse | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response'])
    .where('partner_id', '=', partnerId)
    .where('key', '=', key)
    .where('created_at', '>=', liveSince)
    .executeTakeFirst();
  return row?.response ? { requestHash: row.request_hash, response: row.response } : undefined;
}

/**
 * Takes the key for this request inside the caller's database transaction. A concurrent request
 * holding the same key makes PostgreSQL wait here until that one commits, so the loser then finds
 * the winner's response instead of creating a second session. An expired record is taken over.
 */
export async function claimKey(
  trx: Kysely<Tables>,
  claim: { partnerId: string; key: string; requestHash: string; now: Date; liveSince: Date },
): Promise<boolean> {
  const row = await trx
    .insertInto('idempotency_keys')
    .values({ partner_id: claim.partnerId, key: claim.key, request_hash: claim.requestHash, response: null, created_at: claim.now })
    .onConflict((oc) =>
      oc
        .columns(['partner_id', 'key'])
        .doUpdateSet((eb) => ({ request_hash: eb.ref('excluded.request_hash'), response: null, created_at: eb.ref('excluded.created_at') }))
        .where('idempotency_keys.created_at', '<', claim.liveSince),
    )
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}

export async function storeResponse(trx: Kysely<Tables>, partnerId: string, key: string, response: Record<string, unknown>): Promise<void> {
  await trx
    .updateTable('idempotency_keys')
    .set({ response: JSON.stringify(response) })
    .where('partner_id', '=', partnerId)
    .where('key', '=', key)
    .execute();
}

/** Forgets keys whose replay window has passed; returns how many. */
export async function purgeExpiredKeys(db: Kysely<Tables>, liveSince: Date): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', liveSince).executeTakeFirst();
  return Number(result.numDeletedRows);
}
