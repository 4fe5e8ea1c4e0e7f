import { describe, expect, it } from 'vitest';
import { frameAncestors, framePageHeaders, hostedPageHeaders } from './frame-policy.ts';

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

  it('the page loads only its own files (and the images and media it makes), sends no referrer, and is not cached', () => {
    expect(framePageHeaders(['https://app.partner.example'])).toEqual({
      'content-security-policy':
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
        "form-action 'self'; frame-ancestors https://app.partner.example",
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
  });

  it('no inline code, no other host, in either page', () => {
    for (const headers of [framePageHeaders(['https://app.partner.example']), framePageHeaders(null), hostedPageHeaders()]) {
      const directives = headers['content-security-policy']!.split('; ').map((directive) => directive.split(' '));
      expect(directives[0]).toEqual(['default-src', "'self'"]);
      for (const [name, ...sources] of directives) {
        if (name === 'frame-ancestors') continue;
        // Scripts and styles fall back to default-src: the platform's files only, nothing inline.
        expect(['script-src', 'style-src', 'connect-src']).not.toContain(name);
        for (const source of sources) expect(["'self'", "'none'", 'blob:', 'data:'], `${name} ${source}`).toContain(source);
      }
      expect(directives.find(([name]) => name === 'img-src')).toEqual(['img-src', "'self'", 'blob:', 'data:']);
      expect(directives.find(([name]) => name === 'media-src')).toEqual(['media-src', "'self'", 'blob:']);
    }
  });

  it('the hosted page is the same policy, framed by no one whatever the partner registered', () => {
    expect(hostedPageHeaders()).toEqual({
      'content-security-policy':
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
        "form-action 'self'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
  });
});
