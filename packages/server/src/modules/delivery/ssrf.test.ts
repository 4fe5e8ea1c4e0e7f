import { describe, expect, it } from 'vitest';
import { isPublicAddress } from './ssrf.ts';

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
