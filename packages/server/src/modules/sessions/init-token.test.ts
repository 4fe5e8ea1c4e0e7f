import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueInitToken, verifyInitToken } from './init-token.ts';

const key = randomBytes(32);
const claims = { sub: 'mtid-1', tid: 'tx-1', pid: 'ptr_1', wid: 'wgt_1', typ: 'sdk_partner_authorization' as const };
const now = new Date('2026-11-21T12:00:00Z');

describe('init token', () => {
  it('carries its claims and expires after the TTL', async () => {
    const { token, expiresAt } = issueInitToken(key, claims, now, 60 * 60_000);
    expect(expiresAt.toISOString()).toBe('2026-11-21T13:00:00.000Z');
    await expect(verifyInitToken(key, token, new Date('2026-11-21T12:59:00Z'))).resolves.toMatchObject(claims);
    await expect(verifyInitToken(key, token, new Date('2026-11-21T13:00:01Z'))).rejects.toThrow();
  });

  it('refuses another key and a tampered token', async () => {
    const { token } = issueInitToken(key, claims, now, 60_000);
    await expect(verifyInitToken(randomBytes(32), token, now)).rejects.toThrow();
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), tid: 'tx-2' })).toString(
      'base64url',
    );
    await expect(verifyInitToken(key, `${header}.${forged}.${signature}`, now)).rejects.toThrow();
  });
});
