import { createHmac } from 'node:crypto';
import { jwtVerify } from 'jose';

export type InitTokenType = 'sdk_partner_authorization' | 'sdk_customer_token';

export interface InitTokenClaims {
  /** merchant_transaction_id */
  sub: string;
  /** internal transaction id */
  tid: string;
  pid: string;
  wid: string;
  typ: InitTokenType;
}

const ISSUER = 'proof-ramp';
const AUDIENCE = 'proof-widget';

/**
 * A short-lived HS256 JWT that lets the widget act on one transaction; it carries no PII.
 * Signed with node:crypto directly: jose signs through WebCrypto, whose asynchronous jobs cost more
 * than the rest of session creation together. Verification (once per widget load) uses jose.
 */
export function issueInitToken(key: Buffer, claims: InitTokenClaims, now: Date, ttlMs: number): { token: string; expiresAt: Date } {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = new Date((issuedAt + Math.floor(ttlMs / 1000)) * 1000);
  const payload = {
    tid: claims.tid,
    pid: claims.pid,
    wid: claims.wid,
    typ: claims.typ,
    iss: ISSUER,
    aud: AUDIENCE,
    sub: claims.sub,
    iat: issuedAt,
    exp: Math.floor(expiresAt.getTime() / 1000),
  };
  const signingInput = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = createHmac('sha256', key).update(signingInput).digest('base64url');
  return { token: `${signingInput}.${signature}`, expiresAt };
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** Verifies signature, issuer, audience and expiry against the given time; throws when any fails. */
export async function verifyInitToken(key: Buffer, token: string, now: Date): Promise<InitTokenClaims> {
  const { payload } = await jwtVerify(token, key, {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['HS256'],
    currentDate: now,
  });
  return payload as unknown as InitTokenClaims;
}
