import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey, Sealer, safeEqual } from './crypto.ts';

describe('Sealer', () => {
  const sealer = new Sealer(randomBytes(32));

  it('round-trips and never repeats a ciphertext', () => {
    const a = sealer.seal('user@example.com');
    const b = sealer.seal('user@example.com');
    expect(a).not.toBe(b);
    expect(a).not.toContain('user@example.com');
    expect(sealer.open(a)).toBe('user@example.com');
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = sealer.seal('secret');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => sealer.open(parts.join('.'))).toThrow();
  });

  it('refuses another key', () => {
    expect(() => new Sealer(randomBytes(32)).open(sealer.seal('secret'))).toThrow();
  });

  it('gives stable blind indexes per key', () => {
    expect(sealer.blindIndex('a@b.co')).toBe(sealer.blindIndex('a@b.co'));
    expect(sealer.blindIndex('a@b.co')).not.toBe(new Sealer(randomBytes(32)).blindIndex('a@b.co'));
  });
});

describe('helpers', () => {
  it('safeEqual compares exactly', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
  it('deriveKey separates purposes', () => {
    expect(deriveKey('root', 'a').equals(deriveKey('root', 'b'))).toBe(false);
    expect(deriveKey('root', 'a').equals(deriveKey('root', 'a'))).toBe(true);
  });
});
