import { describe, expect, it } from 'vitest';
import { acceptedContentTypes, requiredSides } from './document-types.ts';
import { sniffContentType } from './sniff-content-type.ts';

const bytes = (...parts: Array<number[] | string>) =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

describe('sniffContentType', () => {
  it('recognises JPEG, PNG and PDF by their first bytes', () => {
    expect(sniffContentType(bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF'))).toBe('image/jpeg');
    expect(sniffContentType(bytes([0xff, 0xd8, 0xff, 0xdb]))).toBe('image/jpeg');
    expect(sniffContentType(bytes([0x89], 'PNG\r\n\x1a\n', 'IHDR'))).toBe('image/png');
    expect(sniffContentType(bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'))).toBe('application/pdf');
  });

  it('refuses anything else, whatever it is called: text, HTML, SVG, GIF, a truncated signature, nothing', () => {
    for (const other of [
      bytes('name: passport.jpg\n'),
      bytes('<html><body>passport.png</body></html>'),
      bytes('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
      bytes('GIF89a'),
      bytes([0xff, 0xd8]),
      bytes([0x89], 'PNG\n\x1a\n'), // line endings mangled in transfer
      bytes(' %PDF-1.7'),
      bytes('%PDF'),
      bytes([]),
    ]) {
      expect(sniffContentType(other), other.toString('latin1')).toBeUndefined();
    }
  });
});

describe('document rules', () => {
  it('asks for a back only where the document has one, and a selfie always', () => {
    expect(requiredSides('passport')).toEqual(['front', 'selfie']);
    expect(requiredSides('national_id')).toEqual(['front', 'back', 'selfie']);
    expect(requiredSides('driving_licence')).toEqual(['front', 'back', 'selfie']);
  });

  it('takes a PDF scan of a document but not as a selfie', () => {
    expect(acceptedContentTypes('front')).toContain('application/pdf');
    expect(acceptedContentTypes('back')).toContain('application/pdf');
    expect(acceptedContentTypes('selfie')).toEqual(['image/jpeg', 'image/png']);
  });
});
