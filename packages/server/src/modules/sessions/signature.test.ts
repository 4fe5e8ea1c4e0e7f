import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type SignedSessionFields, signSession, verifySessionSignature } from './signature.ts';

const key = randomBytes(32);
const fields: SignedSessionFields = {
  address: 'TXYZ',
  merchant_transaction_id: '7f0c4a4e-1d1c-4b8e-9d1e-0b6f1d1f2a3b',
  widget_id: 'wgt_1',
  currency: 'USDT',
  network: 'TRC20',
  amount: '100',
  type: 'buy',
  client_ip: '203.0.113.9',
};

describe('session signature', () => {
  it('is v2: followed by 128 lowercase hex characters', () => {
    expect(signSession(key, fields)).toMatch(/^v2:[0-9a-f]{128}$/);
  });

  it('verifies what it signed', () => {
    expect(verifySessionSignature(key, fields, signSession(key, fields))).toBe(true);
  });

  it.each(Object.keys(fields) as (keyof SignedSessionFields)[])('breaks when %s changes', (name) => {
    const signature = signSession(key, fields);
    const changed = { ...fields, [name]: name === 'type' ? 'sell' : `${fields[name]}x` };
    expect(verifySessionSignature(key, changed, signature)).toBe(false);
  });

  it('binds a missing client_ip as such', () => {
    const withoutIp = { ...fields, client_ip: null };
    expect(verifySessionSignature(key, withoutIp, signSession(key, fields))).toBe(false);
    expect(verifySessionSignature(key, withoutIp, signSession(key, withoutIp))).toBe(true);
  });

  it('depends on the key and refuses malformed signatures', () => {
    expect(verifySessionSignature(randomBytes(32), fields, signSession(key, fields))).toBe(false);
    expect(verifySessionSignature(key, fields, 'v2:abc')).toBe(false);
  });
});
