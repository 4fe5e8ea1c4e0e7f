import { type Insertable, type Kysely, sql, type Updateable } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { NormalizedPartner, PartnerConfig } from './partner-config.ts';
import type { PartnerStatus } from './partner-status.ts';
import type { PartnersTable, PartnerTokensTable } from './tables.ts';

/** Data access for partners and their tokens; every function runs on the `db` (or transaction) it is given. */

export interface PartnerRecord extends NormalizedPartner {
  id: string;
  widget_id: string;
  status: PartnerStatus;
  created_at: Date;
  updated_at: Date;
}

export interface TokenSummary {
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
}

export async function insertPartner(db: Kysely<Tables>, partner: Insertable<PartnersTable>): Promise<void> {
  await db.insertInto('partners').values(partner).execute();
}

/** `forUpdate` locks the row until the caller's transaction ends. */
export async function findPartner(
  db: Kysely<Tables>,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<PartnerRecord | undefined> {
  const row = await db
    .selectFrom('partners')
    .selectAll()
    .where('id', '=', id)
    .$if(options.forUpdate === true, (query) => query.forUpdate())
    .executeTakeFirst();
  return row && toRecord(row);
}

export async function listPartners(db: Kysely<Tables>): Promise<PartnerRecord[]> {
  const rows = await db.selectFrom('partners').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toRecord);
}

/** Returns false when there is no such partner. */
export async function updatePartnerRow(db: Kysely<Tables>, id: string, changes: Updateable<PartnersTable>): Promise<boolean> {
  const result = await db.updateTable('partners').set(changes).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Whether an active partner registered this origin (canonical form); answers CORS preflights. */
export async function hasActivePartnerWithOrigin(db: Kysely<Tables>, origin: string): Promise<boolean> {
  const row = await db
    .selectFrom('partners')
    .select('id')
    .where('status', '=', 'active')
    .where(sql<boolean>`origins @> ${JSON.stringify([origin])}::jsonb`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The registered origins of the active partner whose widget this is; undefined for an unknown or disabled one. */
export async function findActiveWidgetOrigins(db: Kysely<Tables>, widgetId: string): Promise<string[] | undefined> {
  const row = await db
    .selectFrom('partners')
    .select('origins')
    .where('widget_id', '=', widgetId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return row?.origins;
}

export async function insertToken(db: Kysely<Tables>, token: Insertable<PartnerTokensTable>): Promise<void> {
  await db.insertInto('partner_tokens').values(token).execute();
}

/** Makes every token of the partner that would outlive `expiresAt` end then instead. */
export async function expireTokens(db: Kysely<Tables>, partnerId: string, expiresAt: Date): Promise<void> {
  await db
    .updateTable('partner_tokens')
    .set({ expires_at: expiresAt })
    .where('partner_id', '=', partnerId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', expiresAt)]))
    .execute();
}

/** The partner's tokens still valid at `now`, newest first. */
export async function listLiveTokens(db: Kysely<Tables>, partnerId: string, now: Date): Promise<TokenSummary[]> {
  const rows = await db
    .selectFrom('partner_tokens')
    .select(['token_prefix', 'created_at', 'expires_at'])
    .where('partner_id', '=', partnerId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((row) => ({ prefix: row.token_prefix, created_at: row.created_at, expires_at: row.expires_at }));
}

/** The active partner holding the token with this hash, and when that token ends (null: it does not). */
export async function findActivePartnerByToken(
  db: Kysely<Tables>,
  tokenHash: string,
): Promise<{ partner: PartnerRecord; tokenExpiresAt: Date | null } | undefined> {
  const row = await db
    .selectFrom('partner_tokens')
    .innerJoin('partners', 'partners.id', 'partner_tokens.partner_id')
    .selectAll('partners')
    .select('partner_tokens.expires_at as token_expires_at')
    .where('partner_tokens.token_hash', '=', tokenHash)
    .where('partners.status', '=', 'active')
    .executeTakeFirst();
  return row && { partner: toRecord(row), tokenExpiresAt: row.token_expires_at ? new Date(row.token_expires_at) : null };
}

function toRecord(row: {
  id: string;
  widget_id: string;
  name: string;
  contact_email: string;
  status: PartnerStatus;
  origins: string[];
  config: PartnerConfig;
  webhook_url: string | null;
  created_at: Date;
  updated_at: Date;
}): PartnerRecord {
  return {
    id: row.id,
    widget_id: row.widget_id,
    name: row.name,
    contact_email: row.contact_email,
    status: row.status,
    origins: row.origins,
    webhook_url: row.webhook_url,
    config: row.config,
    created_at: new Date(row.created_at),
    updated_at: new Date(row.updated_at),
  };
}
