import { randomUUID } from 'node:crypto';
import type { Platform } from '../../platform.ts';
import type { KycStatus } from './tables.ts';

export interface IdentityKey {
  partnerId: string;
  partnerUserId: string;
}

/**
 * Finds or creates the identity a session belongs to, and keeps its email current. Identities are
 * never removed while transactions point at them, so a recently confirmed (user, email) pair is
 * remembered and the write skipped: most sessions come from returning users.
 */
export async function ensureIdentity(platform: Platform, key: IdentityKey & { email: string }): Promise<string> {
  const memoKey = `${key.partnerId}\u0000${key.partnerUserId}\u0000${key.email}`;
  let recentlyEnsured = memoByDatabase.get(platform.db);
  if (!recentlyEnsured) memoByDatabase.set(platform.db, (recentlyEnsured = new Map()));
  const known = recentlyEnsured.get(memoKey);
  if (known) return known;
  const now = platform.clock.now();
  const emailIndex = platform.sealer.blindIndex(key.email.toLowerCase());
  const row = await platform.db
    .insertInto('identities')
    .values({
      id: randomUUID(),
      partner_id: key.partnerId,
      partner_user_id: key.partnerUserId,
      email_enc: platform.sealer.seal(key.email),
      email_index: emailIndex,
      kyc_status: 'not_started',
      verified_at: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['partner_id', 'partner_user_id']).doUpdateSet((eb) => ({
        email_enc: eb.ref('excluded.email_enc'),
        email_index: eb.ref('excluded.email_index'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  if (recentlyEnsured.size > 50_000) recentlyEnsured.clear();
  recentlyEnsured.set(memoKey, row.id);
  return row.id;
}

const memoByDatabase = new WeakMap<object, Map<string, string>>();

export async function getKycStatus(platform: Platform, key: IdentityKey): Promise<{ status: KycStatus; verified_at: Date | null } | undefined> {
  const row = await platform.db
    .selectFrom('identities')
    .select(['kyc_status', 'verified_at'])
    .where('partner_id', '=', key.partnerId)
    .where('partner_user_id', '=', key.partnerUserId)
    .executeTakeFirst();
  return row && { status: row.kyc_status, verified_at: row.verified_at ? new Date(row.verified_at) : null };
}
