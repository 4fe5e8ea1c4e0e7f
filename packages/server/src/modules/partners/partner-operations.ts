import type { AdminClient } from '../../lib/admin-client.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { transactionWarnings } from './partner-config.ts';
import type { PartnerInput } from './partner-schemas.ts';
import {
  createPartner,
  getPartner,
  listPartners,
  listTokens,
  PartnerNotFoundError,
  type PartnerRecord,
  revealWebhookSecret,
  rotateToken,
  setPartnerStatus,
  type TokenSummary,
  updatePartner,
} from './partner-service.ts';
import type { PartnerStatus } from './partner-status.ts';

/** What an operator can do with partners; the CLI and the admin API both speak through this. */
export interface PartnerOperations {
  /** `warnings`: what the partner, though valid, cannot do (see transactionWarnings); empty when nothing. */
  create(input: PartnerInput): Promise<PartnerView & { client_token: string; webhook_secret: string; warnings: string[] }>;
  list(): Promise<PartnerView[]>;
  show(id: string): Promise<PartnerView & { webhook_secret: string; tokens: TokenView[] }>;
  update(id: string, changes: PartnerInput): Promise<PartnerView & { warnings: string[] }>;
  rotateToken(
    id: string,
    graceMs: number | undefined,
  ): Promise<{ partner_id: string; client_token: string; previous_tokens_expire_at: string }>;
  setStatus(id: string, status: PartnerStatus): Promise<PartnerView>;
}

export type PartnerView = ReturnType<typeof partnerView>;
type TokenView = { prefix: string; created_at: string; expires_at: string | null };

/** A partner as the admin API and the CLI show it: its ids and state, then its configuration as stored. */
export function partnerView(partner: PartnerRecord) {
  return {
    partner_id: partner.id,
    widget_id: partner.widget_id,
    name: partner.name,
    contact_email: partner.contact_email,
    status: partner.status,
    origins: partner.origins,
    ...partner.config,
    webhook_url: partner.webhook_url,
    created_at: partner.created_at.toISOString(),
    updated_at: partner.updated_at.toISOString(),
  };
}

const tokenView = (token: TokenSummary): TokenView => ({
  prefix: token.prefix,
  created_at: token.created_at.toISOString(),
  expires_at: token.expires_at?.toISOString() ?? null,
});

export function localPartnerOperations(platform: Platform): PartnerOperations {
  return {
    async create(input) {
      const created = await createPartner(platform, input);
      return {
        ...partnerView(created.partner),
        client_token: created.client_token,
        webhook_secret: created.webhook_secret,
        warnings: transactionWarnings(created.partner.config),
      };
    },
    async list() {
      return (await listPartners(platform)).map(partnerView);
    },
    async show(id) {
      const partner = await getPartner(platform, id);
      return {
        ...partnerView(partner),
        webhook_secret: await revealWebhookSecret(platform, id),
        tokens: (await listTokens(platform, id)).map(tokenView),
      };
    },
    async update(id, changes) {
      const updated = await updatePartner(platform, id, changes);
      return { ...partnerView(updated), warnings: transactionWarnings(updated.config) };
    },
    async rotateToken(id, graceMs) {
      const rotated = await rotateToken(platform, id, graceMs ?? platform.config.tokenRotationGraceMs);
      return {
        partner_id: id,
        client_token: rotated.client_token,
        previous_tokens_expire_at: rotated.previous_tokens_expire_at.toISOString(),
      };
    },
    async setStatus(id, status) {
      return partnerView(await setPartnerStatus(platform, id, status));
    },
  };
}

/** The same operations through a running server's admin API (the embedded database allows one process). */
export function remotePartnerOperations(admin: AdminClient): PartnerOperations {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await admin.call(method, path, body);
    const payload = response.body;
    if (response.ok) return payload as T;
    if (response.status === 404) throw new PartnerNotFoundError(path.split('/')[2] ?? '');
    const detail = payload?.details?.[0];
    if (detail) throw new ConfigurationError(String(detail.field), String(detail.issue));
    throw new Error(`the server answered ${response.status}: ${payload?.message ?? 'no message'}`);
  };
  const encode = encodeURIComponent;
  return {
    create: (input) => call('POST', '/partners', input),
    list: async () => (await call<{ partners: PartnerView[] }>('GET', '/partners')).partners,
    show: (id) => call('GET', `/partners/${encode(id)}`),
    update: (id, changes) => call('PATCH', `/partners/${encode(id)}`, changes),
    rotateToken: (id, graceMs) =>
      call('POST', `/partners/${encode(id)}/rotate-token`, graceMs === undefined ? {} : { grace_seconds: Math.floor(graceMs / 1000) }),
    setStatus: (id, status) => call('POST', `/partners/${encode(id)}/${status === 'active' ? 'enable' : 'disable'}`, {}),
  };
}
