import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';

/** Records the one exchange of a transaction's init_token; false when it was already exchanged. */
export async function recordOpening(
  db: Kysely<Tables>,
  opening: { transactionId: string; partnerId: string; now: Date; credentialExpiresAt: Date },
): Promise<boolean> {
  const inserted = await db
    .insertInto('embed_sessions')
    .values({
      transaction_id: opening.transactionId,
      partner_id: opening.partnerId,
      opened_at: opening.now,
      credential_expires_at: opening.credentialExpiresAt,
    })
    .onConflict((oc) => oc.column('transaction_id').doNothing())
    .returning('transaction_id')
    .executeTakeFirst();
  return inserted !== undefined;
}
