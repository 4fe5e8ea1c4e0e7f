import { ConfigurationError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Platform } from '../../platform.ts';
import { blockedWebhookTarget } from '../delivery/ssrf.ts';
import { createWebhookEndpoint, setWebhookUrl } from '../delivery/webhook-endpoint-store.ts';
import { newWebhookSecret, revealWebhookSecret as revealEndpointSecret } from '../delivery/webhook-secret.ts';
import { hashToken, newClientToken } from './client-token.ts';
import { normalizePartnerInput, type PartnerInput, toPartnerInput } from './partner-config.ts';
import type { PartnerStatus } from './partner-status.ts';
import {
  expireTokens,
  findActiveWidgetOrigins,
  findPartner,
  hasActivePartnerWithOrigin,
  insertPartner,
  insertToken,
  listLiveTokens,
  listPartners as listPartnerRecords,
  type PartnerRecord,
  type TokenSummary,
  updatePartnerRow,
} from './partner-store.ts';
import { announceAccessChange } from './token-cache.ts';

export type { PartnerRecord, TokenSummary } from './partner-store.ts';

/**
 * What can be done with partners (the admin API, the CLI and the sandbox seed all come here). Every
 * change that touches a partner's webhook URL states it to the delivery module in the same database
 * transaction (createWebhookEndpoint, setWebhookUrl); the signing secret is delivery's record, made
 * with the partner and rotated there. Every change clears this node's token cache.
 */

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
  await assertDeliverableWebhookUrl(platform, normalized.webhook_url);
  const now = platform.clock.now();
  const id = newId('ptr');
  const webhookSecret = newWebhookSecret();
  const clientToken = newClientToken();
  await platform.db.transaction().execute(async (trx) => {
    await insertPartner(trx, {
      id,
      widget_id: newId('wgt'),
      name: normalized.name,
      contact_email: normalized.contact_email,
      status: 'active',
      origins: JSON.stringify(normalized.origins),
      config: JSON.stringify(normalized.config),
      webhook_url: normalized.webhook_url,
      created_at: now,
      updated_at: now,
    });
    await insertToken(trx, tokenRow(id, clientToken, now));
    await createWebhookEndpoint(trx, {
      partnerId: id,
      url: normalized.webhook_url,
      secretSealed: platform.sealer.seal(webhookSecret),
      now,
    });
  });
  return { partner: await getPartner(platform, id), client_token: clientToken, webhook_secret: webhookSecret };
}

export async function getPartner(platform: Platform, id: string): Promise<PartnerRecord> {
  const partner = await findPartner(platform.db, id);
  if (!partner) throw new PartnerNotFoundError(id);
  return partner;
}

export async function listPartners(platform: Platform): Promise<PartnerRecord[]> {
  return listPartnerRecords(platform.db);
}

export async function listTokens(platform: Platform, partnerId: string): Promise<TokenSummary[]> {
  return listLiveTokens(platform.db, partnerId, platform.clock.now());
}

/** Overlays the given fields on the stored partner and validates the whole again. */
export async function updatePartner(platform: Platform, id: string, changes: PartnerInput): Promise<PartnerRecord> {
  // Checked before the row is locked (it may resolve a name); a stored URL the update does not name is left alone.
  await assertDeliverableWebhookUrl(platform, changes.webhook_url);
  // Read, merge and write under the row's lock, so two concurrent updates cannot undo each other.
  await platform.db.transaction().execute(async (trx) => {
    const current = await findPartner(trx, id, { forUpdate: true });
    if (!current) throw new PartnerNotFoundError(id);
    const merged: PartnerInput = { ...toPartnerInput(current), ...definedOnly(changes) };
    if (changes.widget) merged.widget = { ...current.config.widget, ...definedOnly(changes.widget) };
    if (changes.fees) merged.fees = { ...current.config.fees, ...definedOnly(changes.fees) };
    const normalized = normalizePartnerInput(merged);
    const now = platform.clock.now();
    await updatePartnerRow(trx, id, {
      name: normalized.name,
      contact_email: normalized.contact_email,
      origins: JSON.stringify(normalized.origins),
      config: JSON.stringify(normalized.config),
      webhook_url: normalized.webhook_url,
      updated_at: now,
    });
    if (normalized.webhook_url !== current.webhook_url) await setWebhookUrl(trx, { partnerId: id, url: normalized.webhook_url, now });
  });
  await announceAccessChange(platform, id);
  return getPartner(platform, id);
}

export async function setPartnerStatus(platform: Platform, id: string, status: PartnerStatus): Promise<PartnerRecord> {
  if (!(await updatePartnerRow(platform.db, id, { status, updated_at: platform.clock.now() }))) throw new PartnerNotFoundError(id);
  await announceAccessChange(platform, id);
  return getPartner(platform, id);
}

/**
 * Issues a new client token. Tokens issued before keep working for the grace period so the
 * partner can deploy the new one without downtime; a grace of zero revokes them at once.
 */
export async function rotateToken(
  platform: Platform,
  id: string,
  graceMs: number,
): Promise<{ client_token: string; previous_tokens_expire_at: Date }> {
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw new ConfigurationError('grace', 'must be a duration of zero or more');
  await getPartner(platform, id);
  const now = platform.clock.now();
  const graceEnd = new Date(now.getTime() + graceMs);
  const clientToken = newClientToken();
  await platform.db.transaction().execute(async (trx) => {
    await expireTokens(trx, id, graceEnd);
    await insertToken(trx, tokenRow(id, clientToken, now));
  });
  await announceAccessChange(platform, id);
  return { client_token: clientToken, previous_tokens_expire_at: graceEnd };
}

export async function revealWebhookSecret(platform: Platform, id: string): Promise<string> {
  const secret = await revealEndpointSecret(platform, id);
  if (secret === undefined) throw new PartnerNotFoundError(id);
  return secret;
}

/** Whether an active partner registered this origin; answers CORS preflights, which carry no token. */
export async function isRegisteredOrigin(platform: Platform, origin: string): Promise<boolean> {
  return hasActivePartnerWithOrigin(platform.db, origin);
}

/**
 * The origins that may frame a widget's iframe page: its active partner's registered origins (web
 * origins and app schemes; bundle ids are left to the page's CSP builder to drop), or null for an
 * unknown or disabled widget.
 */
export async function findWidgetOrigins(platform: Platform, widgetId: string): Promise<string[] | null> {
  return (await findActiveWidgetOrigins(platform.db, widgetId)) ?? null;
}

/** A webhook URL delivery would refuse is refused when it is set, while the operator is there to hear it. */
async function assertDeliverableWebhookUrl(platform: Platform, url: string | null | undefined): Promise<void> {
  if (url == null || platform.config.webhookAllowPrivateTargets) return;
  const blocked = await blockedWebhookTarget(url);
  if (blocked !== null) {
    throw new ConfigurationError(
      'webhook_url',
      `${blocked}: webhooks are only delivered to public addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS is off)`,
    );
  }
}

function tokenRow(partnerId: string, token: string, now: Date) {
  return {
    id: newId('tok'),
    partner_id: partnerId,
    token_hash: hashToken(token),
    token_prefix: token.slice(0, 10),
    created_at: now,
    expires_at: null,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
