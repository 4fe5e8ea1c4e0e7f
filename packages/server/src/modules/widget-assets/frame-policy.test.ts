import { describe, expect, it } from 'vitest';
import { frameAncestors, framePageHeaders } from './frame-policy.ts';

describe('the iframe page policy', () => {
  it('frame-ancestors lists the registered web origins and app schemes, nothing else', () => {
    expect(frameAncestors(['https://app.partner.example', 'http://127.0.0.2:4000', 'capacitor://localhost', 'com.partner.app'])).toBe(
      'https://app.partner.example http://127.0.0.2:4000 capacitor://localhost',
    );
    expect(frameAncestors(['http://[::1]:8080'])).toBe('http://[::1]:8080');
  });

  it('an unknown widget, or one with no frameable origin, may be framed by no one', () => {
    expect(frameAncestors(null)).toBe("'none'");
    expect(frameAncestors([])).toBe("'none'");
    expect(frameAncestors(['com.partner.app'])).toBe("'none'");
  });

  it('nothing that could end the directive or add a source gets in', () => {
    expect(
      frameAncestors(['foo://a;script-src *', "x://a 'unsafe-inline'", 'https://a.example,https://b.example', 'https://a.example/path']),
    ).toBe("'none'");
  });

  it('the page loads only its own files, sends no referrer, and is not cached', () => {
    expect(framePageHeaders(['https://app.partner.example'])).toEqual({
      'content-security-policy':
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors https://app.partner.example",
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
  });
});
