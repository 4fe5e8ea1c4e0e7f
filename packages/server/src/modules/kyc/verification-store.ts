import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { KycVerificationsTable } from './tables.ts';

export type VerificationRow = Selectable<KycVerificationsTable>;

export async function insertVerification(trx: Kysely<Tables>, values: Insertable<KycVerificationsTable>): Promise<void> {
  await trx.insertInto('kyc_verifications').values(values).execute();
}

export async function findVerification(db: Kysely<Tables>, id: string): Promise<VerificationRow | undefined> {
  return db.selectFrom('kyc_verifications').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The verification a provider's event is about: by the provider's own id, or (when the callback
 * overtook the answer to `submit`, so that id is not recorded yet) by the reference we gave it.
 */
export async function findVerificationForEvent(
  db: Kysely<Tables>,
  event: { provider: string; providerVerificationId: string; verificationId?: string | undefined },
): Promise<VerificationRow | undefined> {
  const byProviderId = await db
    .selectFrom('kyc_verifications')
    .selectAll()
    .where('provider', '=', event.provider)
    .where('provider_verification_id', '=', event.providerVerificationId)
    .executeTakeFirst();
  if (byProviderId || event.verificationId === undefined) return byProviderId;
  return db
    .selectFrom('kyc_verifications')
    .selectAll()
    .where('id', '=', event.verificationId)
    .where('provider', '=', event.provider)
    .where('provider_verification_id', 'is', null)
    .executeTakeFirst();
}

export async function lockVerification(trx: Kysely<Tables>, id: string): Promise<VerificationRow | undefined> {
  return trx.selectFrom('kyc_verifications').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Records the provider's id once it acknowledged the submission (a callback may have recorded it first). */
export async function setProviderVerificationId(
  db: Kysely<Tables>,
  options: { id: string; providerVerificationId: string; now: Date },
): Promise<void> {
  await db
    .updateTable('kyc_verifications')
    .set({ provider_verification_id: options.providerVerificationId, updated_at: options.now })
    .where('id', '=', options.id)
    .where('provider_verification_id', 'is', null)
    .execute();
}

export async function updateVerification(
  trx: Kysely<Tables>,
  id: string,
  values: Pick<VerificationRow, 'status' | 'reason' | 'decided_at' | 'provider_verification_id' | 'updated_at'>,
): Promise<void> {
  await trx.updateTable('kyc_verifications').set(values).where('id', '=', id).execute();
}

export async function deleteVerification(trx: Kysely<Tables>, id: string): Promise<void> {
  await trx.deleteFrom('kyc_verifications').where('id', '=', id).execute();
}
