import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lib/errors.ts';
import { ipAllowed, normalizeOrigin, originAllowed } from './policy.ts';

describe('normalizeOrigin', () => {
  it.each([
    ['https://App.Partner.com', 'https://app.partner.com'],
    ['https://app.partner.com/', 'https://app.partner.com'],
    ['https://app.partner.com:443', 'https://app.partner.com'],
    ['http://localhost:8080', 'http://localhost:8080'],
    ['capacitor://localhost', 'capacitor://localhost'],
    ['com.partner.wallet', 'com.partner.wallet'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeOrigin(input)).toBe(expected);
  });

  it.each([
    ['*'],
    ['null'],
    [''],
    ['https://*.partner.com'],
    ['https://app.partner.com/path'],
    ['https://u:p@app.partner.com'],
    ['not an origin'],
  ])('refuses %j', (input) => {
    expect(() => normalizeOrigin(input)).toThrow(ConfigurationError);
  });
});

describe('originAllowed', () => {
  const registered = ['https://app.partner.com', 'com.partner.wallet'];
  it('lets server-side calls (no Origin) through', () => expect(originAllowed(registered, undefined)).toBe(true));
  it('accepts a registered origin in any case', () => expect(originAllowed(registered, 'https://APP.partner.com')).toBe(true));
  it('refuses others', () => {
    expect(originAllowed(registered, 'https://evil.example')).toBe(false);
    expect(originAllowed(registered, 'https://app.partner.com.evil.example')).toBe(false);
    expect(originAllowed(registered, 'null')).toBe(false);
  });
});

describe('ipAllowed', () => {
  it('allows everyone when the list is empty', () => expect(ipAllowed([], '203.0.113.9')).toBe(true));
  it('matches IPv4 ranges, also through IPv4-mapped IPv6', () => {
    expect(ipAllowed(['203.0.113.0/24'], '203.0.113.9')).toBe(true);
    expect(ipAllowed(['203.0.113.0/24'], '::ffff:203.0.113.9')).toBe(true);
    expect(ipAllowed(['203.0.113.0/24'], '198.51.100.1')).toBe(false);
  });
  it('matches IPv6 ranges and never mixes families', () => {
    expect(ipAllowed(['2001:db8::/32'], '2001:db8::1')).toBe(true);
    expect(ipAllowed(['2001:db8::/32'], '203.0.113.9')).toBe(false);
  });
  it('refuses garbage', () => expect(ipAllowed(['203.0.113.0/24'], 'not-an-ip')).toBe(false));
});
