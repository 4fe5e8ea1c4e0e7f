import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { hashToken } from './client-token.ts';
import { findActivePartnerByToken, type PartnerRecord } from './partner-store.ts';
import { ipAllowed, originAllowed } from './policy.ts';
import { type CachedToken, tokenCacheOf } from './token-cache.ts';

export interface CallerContext {
  authorization: string | undefined;
  origin: string | undefined;
  ip: string;
}

/** Resolves the partner behind a request, or throws the documented 401/403. */
export async function authenticatePartner(
  platform: Platform,
  caller: CallerContext,
): Promise<{ partner: PartnerRecord; tokenHash: string; tokenExpiresAt: number | null }> {
  const token = bearerToken(caller.authorization);
  const tokenHash = hashToken(token);
  const now = platform.clock.now().getTime();
  const cache = tokenCacheOf(platform);
  let entry: CachedToken | undefined = cache?.get(tokenHash);
  if (!entry) {
    const found = await findActivePartnerByToken(platform.db, tokenHash);
    if (!found) throw new ApiError('invalid_token', 'The client token is unknown, revoked or expired.');
    entry = { partner: found.partner, tokenExpiresAt: found.tokenExpiresAt?.getTime() ?? null };
    cache?.set(tokenHash, entry);
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
  return { partner, tokenHash, tokenExpiresAt: entry.tokenExpiresAt };
}

export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new ApiError('missing_token', 'Send the client token as "Authorization: Bearer <client_token>".');
  }
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(authorization);
  if (!match) throw new ApiError('invalid_token', 'The Authorization header must be "Bearer <client_token>".');
  return match[1]!;
}

/** The hash of the bearer token a request presents, or null when its Authorization header is not one. */
export function presentedTokenHash(authorization: string | undefined): string | null {
  try {
    return hashToken(bearerToken(authorization));
  } catch {
    return null;
  }
}
