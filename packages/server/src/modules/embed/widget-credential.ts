import { createHmac } from 'node:crypto';
import { jwtVerify } from 'jose';

/** What a widget credential says: which transaction of which partner the iframe may act on. */
export interface WidgetCredentialClaims {
  /** The platform's transaction id. */
  tid: string;
  pid: string;
  /** merchant_transaction_id */
  sub: string;
}

const ISSUER = 'proof-ramp';
const AUDIENCE = 'proof-embed';
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/**
 * The iframe's own credential, sent as `Authorization: Bearer …` to the embed API (cookies are
 * blocked in third-party iframes). Exchanged once for the session's init_token, bound to one
 * transaction, short-lived, and useless anywhere else: its audience is the embed API only, and its
 * key is derived for this purpose alone. Signed with node:crypto, verified with jose (as the init
 * token is).
 */
export function issueWidgetCredential(
  key: Buffer,
  claims: WidgetCredentialClaims,
  now: Date,
  ttlMs: number,
): { token: string; expiresAt: Date } {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = new Date((issuedAt + Math.floor(ttlMs / 1000)) * 1000);
  const payload = { ...claims, iss: ISSUER, aud: AUDIENCE, iat: issuedAt, exp: Math.floor(expiresAt.getTime() / 1000) };
  const signingInput = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = createHmac('sha256', key).update(signingInput).digest('base64url');
  return { token: `${signingInput}.${signature}`, expiresAt };
}

/** Verifies signature, issuer, audience and expiry at `now`; throws when any fails. */
export async function verifyWidgetCredential(key: Buffer, token: string, now: Date): Promise<WidgetCredentialClaims> {
  const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], currentDate: now });
  if (typeof payload.tid !== 'string' || typeof payload.pid !== 'string' || typeof payload.sub !== 'string') {
    throw new Error('credential without its claims');
  }
  return { tid: payload.tid, pid: payload.pid, sub: payload.sub };
}

/** The expiry (seconds since the epoch) a credential states; only for a credential already verified. */
export function decodeExpiry(token: string): number | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : null;
  } catch {
    return null;
  }
}
