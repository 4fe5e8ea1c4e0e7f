import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { IdentitiesTable, KycStatus } from './tables.ts';

export interface IdentityKey {
  partnerId: string;
  partnerUserId: string;
}

/** Creates the identity, or refreshes the email of the one the partner's user already has; returns its id. */
export async function upsertIdentity(db: Kysely<Tables>, identity: Insertable<IdentitiesTable>): Promise<string> {
  const row = await db
    .insertInto('identities')
    .values(identity)
    .onConflict((oc) =>
      oc.columns(['partner_id', 'partner_user_id']).doUpdateSet((eb) => ({
        email_enc: eb.ref('excluded.email_enc'),
        email_index: eb.ref('excluded.email_index'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The user's verification status, or undefined when the partner has no such user. */
export async function getKycStatus(
  db: Kysely<Tables>,
  key: IdentityKey,
): Promise<{ status: KycStatus; verified_at: Date | null } | undefined> {
  const row = await db
    .selectFrom('identities')
    .select(['kyc_status', 'verified_at'])
    .where('partner_id', '=', key.partnerId)
    .where('partner_user_id', '=', key.partnerUserId)
    .executeTakeFirst();
  return row && { status: row.kyc_status, verified_at: row.verified_at ? new Date(row.verified_at) : null };
}

export type IdentityRow = Selectable<IdentitiesTable>;

/** The identity of a partner's user, or undefined. */
export async function findIdentity(db: Kysely<Tables>, key: IdentityKey): Promise<IdentityRow | undefined> {
  return db
    .selectFrom('identities')
    .selectAll()
    .where('partner_id', '=', key.partnerId)
    .where('partner_user_id', '=', key.partnerUserId)
    .executeTakeFirst();
}

export async function findIdentityById(db: Kysely<Tables>, identityId: string): Promise<IdentityRow | undefined> {
  return db.selectFrom('identities').selectAll().where('id', '=', identityId).executeTakeFirst();
}

/** Locks the identity row for the rest of the caller's database transaction: KYC changes to one user serialise on it. */
export async function lockIdentity(trx: Kysely<Tables>, identityId: string): Promise<IdentityRow> {
  return trx.selectFrom('identities').selectAll().where('id', '=', identityId).forUpdate().executeTakeFirstOrThrow();
}

export async function setIdentityKyc(
  trx: Kysely<Tables>,
  identityId: string,
  values: Pick<Updateable<IdentitiesTable>, 'kyc_status' | 'verified_at' | 'current_verification_id'> & { updated_at: Date },
): Promise<void> {
  await trx.updateTable('identities').set(values).where('id', '=', identityId).execute();
}
