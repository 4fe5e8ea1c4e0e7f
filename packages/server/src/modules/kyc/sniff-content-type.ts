import type { DocumentContentType } from './document-types.ts';

/**
 * The file type of an upload, read from its magic number: the first bytes every valid file of the
 * type starts with. A file's name and its declared Content-Type are the sender's claim; the bytes
 * are what a viewer (ours or the provider's) will parse.
 *
 * - JPEG: FF D8 FF (start of image, then the first marker)
 * - PNG: 89 50 4E 47 0D 0A 1A 0A (the full 8-byte signature, which catches transfers that mangled line endings)
 * - PDF: "%PDF-" (25 50 44 46 2D)
 *
 * Anything else, a renamed text file included, is undefined.
 */
export function sniffContentType(bytes: Uint8Array): DocumentContentType | undefined {
  for (const [contentType, magic] of SIGNATURES) {
    if (bytes.length >= magic.length && magic.every((byte, index) => bytes[index] === byte)) return contentType;
  }
  return undefined;
}

const SIGNATURES: ReadonlyArray<readonly [DocumentContentType, readonly number[]]> = [
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['application/pdf', [0x25, 0x50, 0x44, 0x46, 0x2d]],
];
