import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';

/**
 * The only way into webhook_endpoints from outside delivery. Each function runs on `db`, which is the
 * caller's transaction when it has one, so a partner and its endpoint never disagree. The partners
 * module makes the endpoint with the partner and states its URL; the signing secret is delivery's
 * from then on (rotateWebhookSecret), and so is the endpoint's health (enabled, disabled_reason).
 */

/** A new partner's endpoint: its URL (null: it takes no webhooks) and its first secret, already sealed. */
export async function createWebhookEndpoint(
  db: Kysely<Tables>,
  endpoint: { partnerId: string; url: string | null; secretSealed: string; now: Date },
): Promise<void> {
  await db
    .insertInto('webhook_endpoints')
    .values({
      partner_id: endpoint.partnerId,
      url: endpoint.url,
      secret_enc: endpoint.secretSealed,
      previous_secret_enc: null,
      previous_secret_expires_at: null,
      enabled: true,
      disabled_reason: null,
      created_at: endpoint.now,
      updated_at: endpoint.now,
    })
    .execute();
}

/** Points the partner's endpoint at a new URL (null: no more webhooks); the secret and health stay. */
export async function setWebhookUrl(db: Kysely<Tables>, endpoint: { partnerId: string; url: string | null; now: Date }): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ url: endpoint.url, updated_at: endpoint.now })
    .where('partner_id', '=', endpoint.partnerId)
    .execute();
}

/** The URL new messages for the partner go to, or undefined when it takes none (no URL, or disabled). */
export async function findWebhookUrl(db: Kysely<Tables>, partnerId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select('url')
    .where('partner_id', '=', partnerId)
    .where('enabled', '=', true)
    .executeTakeFirst();
  return row?.url ?? undefined;
}

/** The sealed current signing secret of the partner's endpoint, or undefined when there is no endpoint. */
export async function findSealedWebhookSecret(db: Kysely<Tables>, partnerId: string): Promise<string | undefined> {
  const row = await db.selectFrom('webhook_endpoints').select('secret_enc').where('partner_id', '=', partnerId).executeTakeFirst();
  return row?.secret_enc;
}

/**
 * Every sealed secret a message to the partner is signed with at `now`: the current one, then the one
 * a rotation replaced while its grace period lasts. Undefined when there is no endpoint.
 */
export async function findSealedSigningSecrets(db: Kysely<Tables>, partnerId: string, now: Date): Promise<string[] | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select(['secret_enc', 'previous_secret_enc', 'previous_secret_expires_at'])
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
  if (!row) return undefined;
  const previousLive = row.previous_secret_enc !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now;
  return previousLive ? [row.secret_enc, row.previous_secret_enc!] : [row.secret_enc];
}

/**
 * Makes `secretSealed` the endpoint's secret and keeps the one it replaces until `previousExpiresAt`
 * (null: dropped at once). One previous secret is kept: a secret replaced earlier stops at once. One
 * statement, so concurrent rotations cannot interleave. False when the partner has no endpoint.
 */
export async function replaceWebhookSecret(
  db: Kysely<Tables>,
  rotation: { partnerId: string; secretSealed: string; previousExpiresAt: Date | null; now: Date },
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set((eb) => ({
      secret_enc: rotation.secretSealed,
      previous_secret_enc: rotation.previousExpiresAt === null ? null : eb.ref('secret_enc'),
      previous_secret_expires_at: rotation.previousExpiresAt,
      updated_at: rotation.now,
    }))
    .where('partner_id', '=', rotation.partnerId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
