import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Sealer } from '../../lib/crypto.ts';

/**
 * Envelope encryption of identity documents. Each document gets its own random 256-bit data key;
 * AES-256-GCM encrypts the bytes under it with the document's id as associated data, so a
 * ciphertext copied onto another row (or a row whose id was changed) fails to open. The data key
 * is stored wrapped by the platform's key (ENCRYPTION_KEY, through the Sealer), never in the clear.
 *
 * Why a key per document rather than the platform key directly: GCM's random 96-bit nonces stay
 * far from their collision bound however many documents are stored, a leaked data key opens one
 * document, and rotating ENCRYPTION_KEY only re-wraps 32-byte keys instead of re-encrypting every file.
 *
 * Stored layout of `ciphertext`: version byte 0x01 ‖ 12-byte nonce ‖ 16-byte tag ‖ encrypted bytes.
 */
export interface SealedDocument {
  /** The data key, sealed with the platform key (text, "v1.…"). */
  wrappedKey: string;
  ciphertext: Buffer;
}

const VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function sealDocument(sealer: Sealer, options: { documentId: string; bytes: Uint8Array }): SealedDocument {
  const dataKey = randomBytes(32);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
  cipher.setAAD(Buffer.from(options.documentId, 'utf8'));
  const body = Buffer.concat([cipher.update(options.bytes), cipher.final()]);
  const wrappedKey = sealer.seal(dataKey.toString('base64'));
  dataKey.fill(0);
  return { wrappedKey, ciphertext: Buffer.concat([Buffer.of(VERSION), nonce, cipher.getAuthTag(), body]) };
}

/** The document's bytes; throws when the key, the id or any stored byte is not what was sealed. */
export function openDocument(sealer: Sealer, options: { documentId: string; sealed: SealedDocument }): Buffer {
  const { wrappedKey, ciphertext } = options.sealed;
  if (ciphertext.length < 1 + NONCE_BYTES + TAG_BYTES || ciphertext[0] !== VERSION) throw new Error('not a sealed document');
  const dataKey = Buffer.from(sealer.open(wrappedKey), 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, ciphertext.subarray(1, 1 + NONCE_BYTES));
    decipher.setAAD(Buffer.from(options.documentId, 'utf8'));
    decipher.setAuthTag(ciphertext.subarray(1 + NONCE_BYTES, 1 + NONCE_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(ciphertext.subarray(1 + NONCE_BYTES + TAG_BYTES)), decipher.final()]);
  } finally {
    dataKey.fill(0);
  }
}
