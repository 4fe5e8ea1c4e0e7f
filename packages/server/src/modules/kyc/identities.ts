import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Platform } from '../../platform.ts';
import { type IdentityKey, upsertIdentity } from './identity-store.ts';

/** (user, email) pairs remembered per database; the least recently seen is forgotten first. */
const MEMO_ENTRIES = 50_000;
const memoByDatabase = new WeakMap<object, LRUCache<string, string>>();

/**
 * Finds or creates the identity a session belongs to, and keeps its email current. Identities are
 * never removed while transactions point at them, so a recently confirmed (user, email) pair is
 * remembered and the write skipped: most sessions come from returning users.
 */
export async function ensureIdentity(platform: Platform, key: IdentityKey & { email: string }): Promise<string> {
  const memoKey = `${key.partnerId}\u0000${key.partnerUserId}\u0000${key.email}`;
  let recentlyEnsured = memoByDatabase.get(platform.db);
  if (!recentlyEnsured) memoByDatabase.set(platform.db, (recentlyEnsured = new LRUCache({ max: MEMO_ENTRIES })));
  const known = recentlyEnsured.get(memoKey);
  if (known) return known;
  const now = platform.clock.now();
  const id = await upsertIdentity(platform.db, {
    id: randomUUID(),
    partner_id: key.partnerId,
    partner_user_id: key.partnerUserId,
    email_enc: platform.sealer.seal(key.email),
    email_index: platform.sealer.blindIndex(key.email.toLowerCase()),
    kyc_status: 'not_started',
    verified_at: null,
    created_at: now,
    updated_at: now,
  });
  recentlyEnsured.set(memoKey, id);
  return id;
}
