import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { sha256Hex } from '../../lib/crypto.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import { newId, randomBase62 } from '../../lib/ids.ts';
import type { Platform } from '../../platform.ts';
import { normalizePartnerInput, toPartnerInput, type NormalizedPartner, type PartnerConfig, type PartnerInput } from './partner-config.ts';

export interface PartnerRecord extends NormalizedPartner {
  id: string;
  widget_id: string;
  status: 'active' | 'disabled';
  created_at: Date;
  updated_at: Date;
}

export interface TokenSummary {
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
}

export interface CreatedPartner {
  partner: PartnerRecord;
  client_token: string;
  webhook_secret: string;
}

export class PartnerNotFoundError extends Error {
  constructor(id: string) {
    super(`no partner ${id}`);
    this.name = 'PartnerNotFoundError';
  }
}

export async function createPartner(platform: Platform, input: PartnerInput): Promise<CreatedPartner> {
  const normalized = normalizePartnerInput(input);
  const now = platform.clock.now();
  const id = newId('ptr');
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const clientToken = newClientToken();
  await platform.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('partners')
      .values({
        id,
        widget_id: newId('wgt'),
        name: normalized.name,
        contact_email: normalized.contact_email,
        status: 'active',
        origins: JSON.stringify(normalized.origins),
        config: JSON.stringify(normalized.config),
        webhook_url: normalized.webhook_url,
        webhook_secret_enc: platform.sealer.seal(webhookSecret),
        created_at: now,
        updated_at: now,
      })
      .execute();
    await trx.insertInto('partner_tokens').values(tokenRow(id, clientToken, now)).execute();
  });
  return { partner: await getPartner(platform, id), client_token: clientToken, webhook_secret: webhookSecret };
}

export async function getPartner(platform: Platform, id: string): Promise<PartnerRecord> {
  const row = await platform.db.selectFrom('partners').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new PartnerNotFoundError(id);
  return toRecord(row);
}

export async function listPartners(platform: Platform): Promise<PartnerRecord[]> {
  const rows = await platform.db.selectFrom('partners').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toRecord);
}

export async function listTokens(platform: Platform, partnerId: string): Promise<TokenSummary[]> {
  const rows = await platform.db
    .selectFrom('partner_tokens')
    .select(['token_prefix', 'created_at', 'expires_at'])
    .where('partner_id', '=', partnerId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', platform.clock.now())]))
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((row) => ({ prefix: row.token_prefix, created_at: row.created_at, expires_at: row.expires_at }));
}

/** Overlays the given fields on the stored partner and validates the whole again. */
export async function updatePartner(platform: Platform, id: string, changes: PartnerInput): Promise<PartnerRecord> {
  // Read, merge and write under the row's lock, so two concurrent updates cannot undo each other.
  await platform.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('partners').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) throw new PartnerNotFoundError(id);
    const current = toRecord(row);
    const merged: PartnerInput = { ...toPartnerInput(current), ...definedOnly(changes) };
    if (changes.widget) merged.widget = { ...current.config.widget, ...definedOnly(changes.widget) };
    if (changes.fees) merged.fees = { ...current.config.fees, ...definedOnly(changes.fees) };
    const normalized = normalizePartnerInput(merged);
    await trx
      .updateTable('partners')
      .set({
        name: normalized.name,
        contact_email: normalized.contact_email,
        origins: JSON.stringify(normalized.origins),
        config: JSON.stringify(normalized.config),
        webhook_url: normalized.webhook_url,
        updated_at: platform.clock.now(),
      })
      .where('id', '=', id)
      .execute();
  });
  platform.tokenCache.clear();
  return getPartner(platform, id);
}

export async function setPartnerStatus(platform: Platform, id: string, status: 'active' | 'disabled'): Promise<PartnerRecord> {
  const result = await platform.db
    .updateTable('partners')
    .set({ status, updated_at: platform.clock.now() })
    .where('id', '=', id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new PartnerNotFoundError(id);
  platform.tokenCache.clear();
  return getPartner(platform, id);
}

/**
 * Issues a new client token. Tokens issued before keep working for the grace period so the
 * partner can deploy the new one without downtime; a grace of zero revokes them at once.
 */
export async function rotateToken(platform: Platform, id: string, graceMs: number): Promise<{ client_token: string; previous_tokens_expire_at: Date }> {
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw new ConfigurationError('grace', 'must be a duration of zero or more');
  await getPartner(platform, id);
  const now = platform.clock.now();
  const graceEnd = new Date(now.getTime() + graceMs);
  const clientToken = newClientToken();
  await platform.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('partner_tokens')
      .set({ expires_at: graceEnd })
      .where('partner_id', '=', id)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', graceEnd)]))
      .execute();
    await trx.insertInto('partner_tokens').values(tokenRow(id, clientToken, now)).execute();
  });
  platform.tokenCache.clear();
  return { client_token: clientToken, previous_tokens_expire_at: graceEnd };
}

export async function revealWebhookSecret(platform: Platform, id: string): Promise<string> {
  const row = await platform.db.selectFrom('partners').select('webhook_secret_enc').where('id', '=', id).executeTakeFirst();
  if (!row) throw new PartnerNotFoundError(id);
  return platform.sealer.open(row.webhook_secret_enc);
}

/** Partners registering this origin; answers CORS preflights, which carry no token. */
export async function isRegisteredOrigin(platform: Platform, origin: string): Promise<boolean> {
  const row = await platform.db
    .selectFrom('partners')
    .select('id')
    .where('status', '=', 'active')
    .where(sql<boolean>`origins @> ${JSON.stringify([origin])}::jsonb`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export function hashToken(token: string): string {
  return sha256Hex(token);
}

function newClientToken(): string {
  return `ct_${randomBase62(32)}`;
}

function tokenRow(partnerId: string, token: string, now: Date) {
  return { id: newId('tok'), partner_id: partnerId, token_hash: hashToken(token), token_prefix: token.slice(0, 10), created_at: now, expires_at: null };
}

export function toRecord(row: {
  id: string;
  widget_id: string;
  name: string;
  contact_email: string;
  status: 'active' | 'disabled';
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

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
