import { describe, expect, it } from 'vitest';
import { blockedWebhookTarget, isPublicAddress } from './ssrf.ts';

describe('isPublicAddress', () => {
  it.each(['8.8.8.8', '203.0.113.1'.replace('203.0.113', '93.184.216'), '2606:4700:4700::1111'])('lets %s through', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '::1',
    'fe80::1',
    'fc00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '224.0.0.1',
    '255.255.255.255',
    'not-an-ip',
  ])('blocks %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});

describe('blockedWebhookTarget', () => {
  it('names the blocked address of a literal or a resolved name, as the sender would record it', async () => {
    expect(await blockedWebhookTarget('http://10.0.0.7:8080/hooks')).toBe(
      '10.0.0.7 resolves to 10.0.0.7, a private, loopback or link-local address',
    );
    expect(await blockedWebhookTarget('http://[fe80::1]/hooks')).toBe(
      'fe80::1 resolves to fe80::1, a private, loopback or link-local address',
    );
    expect(await blockedWebhookTarget('http://localhost/hooks')).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a private/);
  });

  it('lets a public address through, and a name that does not resolve (delivery retries it, and checks every attempt)', async () => {
    expect(await blockedWebhookTarget('https://93.184.216.34/hooks')).toBeNull();
    expect(await blockedWebhookTarget('https://no-such-host.invalid/hooks')).toBeNull();
  });
});
