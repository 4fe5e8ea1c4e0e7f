import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sealer } from '../../lib/crypto.ts';
import { openDocument, type SealedDocument, sealDocument } from './document-envelope.ts';

describe('document envelope', () => {
  const sealer = new Sealer(randomBytes(32));
  const documentId = 'kyd_0123456789abcdefghij';
  const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from('MARKER-inside-the-scan')]);

  it('round-trips, with a fresh data key and nonce each time, and no plaintext in what is stored', () => {
    const one = sealDocument(sealer, { documentId, bytes });
    const two = sealDocument(sealer, { documentId, bytes });
    expect(openDocument(sealer, { documentId, sealed: one })).toEqual(bytes);
    expect(one.ciphertext.equals(two.ciphertext)).toBe(false);
    expect(one.wrappedKey).not.toBe(two.wrappedKey);
    expect(one.ciphertext.includes('MARKER')).toBe(false);
    expect(one.wrappedKey).toMatch(/^v1\./);
    // version, nonce, tag, then exactly as many bytes as the document: GCM adds no padding
    expect(one.ciphertext.length).toBe(1 + 12 + 16 + bytes.length);
  });

  it('refuses a ciphertext with any byte changed: the nonce, the tag or the body', () => {
    const sealed = sealDocument(sealer, { documentId, bytes });
    for (const index of [1, 13, 29, sealed.ciphertext.length - 1]) {
      const tampered = Buffer.from(sealed.ciphertext);
      tampered[index] = tampered[index]! ^ 0x01;
      expect(() => openDocument(sealer, { documentId, sealed: { ...sealed, ciphertext: tampered } }), `byte ${index}`).toThrow();
    }
    expect(() => openDocument(sealer, { documentId, sealed: { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 20) } })).toThrow(
      'not a sealed document',
    );
  });

  it('refuses another document id as associated data: a ciphertext moved to another row does not open', () => {
    const sealed = sealDocument(sealer, { documentId, bytes });
    expect(() => openDocument(sealer, { documentId: 'kyd_0123456789abcdefghik', sealed })).toThrow();
  });

  it('refuses a data key swapped in from another document, and another platform key', () => {
    const sealed = sealDocument(sealer, { documentId, bytes });
    const other: SealedDocument = sealDocument(sealer, { documentId, bytes });
    expect(() => openDocument(sealer, { documentId, sealed: { ...sealed, wrappedKey: other.wrappedKey } })).toThrow();
    expect(() => openDocument(new Sealer(randomBytes(32)), { documentId, sealed })).toThrow();
  });
});
