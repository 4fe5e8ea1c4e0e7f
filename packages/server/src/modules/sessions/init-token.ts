import { SignJWT, jwtVerify } from 'jose';

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

/** A short-lived HS256 JWT that lets the widget act on one transaction; it carries no PII. */
export async function issueInitToken(key: Buffer, claims: InitTokenClaims, now: Date, ttlMs: number): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = new Date((issuedAt + Math.floor(ttlMs / 1000)) * 1000);
  const token = await new SignJWT({ tid: claims.tid, pid: claims.pid, wid: claims.wid, typ: claims.typ })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.sub)
    .setIssuedAt(issuedAt)
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(key);
  return { token, expiresAt };
}

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
