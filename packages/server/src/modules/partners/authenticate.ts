import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { hashToken, toRecord, type PartnerRecord } from './partner-service.ts';
import { ipAllowed, originAllowed } from './policy.ts';

interface CachedToken {
  partner: PartnerRecord;
  tokenExpiresAt: number | null;
  cachedAt: number;
}

/**
 * Recently seen tokens, so a request does not cost a database round trip before its real work.
 * Changes made on this node clear it at once; other nodes see them within the TTL
 * (AUTH_CACHE_TTL, default 5 s). Token expiry is checked on every use, so a grace period ends on time.
 */
export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  constructor(ttlMs: number, maxEntries = 10_000) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }
  get(tokenHash: string, now: number): CachedToken | undefined {
    const entry = this.entries.get(tokenHash);
    if (entry && now - entry.cachedAt < this.ttlMs) return entry;
    this.entries.delete(tokenHash);
    return undefined;
  }
  set(tokenHash: string, entry: CachedToken): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(tokenHash, entry);
  }
  clear(): void {
    this.entries.clear();
  }
}

export interface CallerContext {
  authorization: string | undefined;
  origin: string | undefined;
  ip: string;
}

/** Resolves the partner behind a request, or throws the documented 401/403. */
export async function authenticatePartner(platform: Platform, caller: CallerContext): Promise<{ partner: PartnerRecord; tokenHash: string }> {
  const token = bearerToken(caller.authorization);
  const tokenHash = hashToken(token);
  const now = platform.clock.now().getTime();
  let entry = platform.tokenCache.get(tokenHash, now);
  if (!entry) {
    const row = await platform.db
      .selectFrom('partner_tokens')
      .innerJoin('partners', 'partners.id', 'partner_tokens.partner_id')
      .selectAll('partners')
      .select('partner_tokens.expires_at as token_expires_at')
      .where('partner_tokens.token_hash', '=', tokenHash)
      .where('partners.status', '=', 'active')
      .executeTakeFirst();
    if (!row) throw new ApiError('invalid_token', 'The client token is unknown, revoked or expired.');
    entry = {
      partner: toRecord(row),
      tokenExpiresAt: row.token_expires_at ? new Date(row.token_expires_at).getTime() : null,
      cachedAt: now,
    };
    platform.tokenCache.set(tokenHash, entry);
  }
  if (entry.tokenExpiresAt !== null && entry.tokenExpiresAt <= now) {
    throw new ApiError('invalid_token', 'The client token is unknown, revoked or expired.');
  }
  const { partner } = entry;
  if (!originAllowed(partner.origins, caller.origin)) {
    throw new ApiError('forbidden_origin', 'This Origin is not registered for the partner.');
  }
  if (!ipAllowed(partner.config.ip_allowlist, caller.ip)) {
    throw new ApiError('forbidden_ip', 'Requests from this IP address are not allowed for the partner.');
  }
  return { partner, tokenHash };
}

export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new ApiError('missing_token', 'Send the client token as "Authorization: Bearer <client_token>".');
  }
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(authorization);
  if (!match) throw new ApiError('invalid_token', 'The Authorization header must be "Bearer <client_token>".');
  return match[1]!;
}
