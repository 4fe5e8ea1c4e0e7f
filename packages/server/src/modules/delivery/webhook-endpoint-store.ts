import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';

/** What the partners module states about a partner's endpoint: the rest of the record is delivery's. */
export interface WebhookEndpointSettings {
  partnerId: string;
  /** Null: the partner takes no webhooks. */
  url: string | null;
  /** The signing secret, already sealed with the platform's sealer. */
  secretSealed: string;
  now: Date;
}

/**
 * The only way into webhook_endpoints from outside delivery. Runs on `db`, which is the caller's
 * transaction when it has one, so a partner and its endpoint never disagree. A new endpoint starts
 * enabled; saving again changes the URL and secret and leaves delivery's own state (enabled,
 * disabled_reason) alone.
 */
export async function saveWebhookEndpoint(db: Kysely<Tables>, endpoint: WebhookEndpointSettings): Promise<void> {
  await db
    .insertInto('webhook_endpoints')
    .values({
      partner_id: endpoint.partnerId,
      url: endpoint.url,
      secret_enc: endpoint.secretSealed,
      enabled: true,
      disabled_reason: null,
      created_at: endpoint.now,
      updated_at: endpoint.now,
    })
    .onConflict((oc) =>
      oc.column('partner_id').doUpdateSet((eb) => ({
        url: eb.ref('excluded.url'),
        secret_enc: eb.ref('excluded.secret_enc'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
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

/** The sealed signing secret of the partner's endpoint, or undefined when there is no endpoint. */
export async function findSealedWebhookSecret(db: Kysely<Tables>, partnerId: string): Promise<string | undefined> {
  const row = await db.selectFrom('webhook_endpoints').select('secret_enc').where('partner_id', '=', partnerId).executeTakeFirst();
  return row?.secret_enc;
}
