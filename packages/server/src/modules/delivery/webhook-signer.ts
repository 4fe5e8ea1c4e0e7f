import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Decoded keys kept at once, by secret; the least recently used goes first. */
const KEYS_KEPT = 10_000;
/** SHA-256's block size: HMAC pads its key to this. */
const BLOCK = 64;

/** A key's two HMAC pads (RFC 2104): the key, zero-filled to a block, XORed with 0x36 and 0x5c. */
interface Pads {
  inner: Buffer;
  outer: Buffer;
}

/**
 * Standard Webhooks signatures (`v1,` + base64 HMAC-SHA256 of "id.timestamp.body"), one per secret,
 * space-separated. A secret is `whsec_` and the base64 of its key, decoded once.
 *
 * HMAC is computed from its definition, H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ message)), with Node's one-shot
 * `crypto.hash` and each key's pads made once: at thousands of messages a second, creating an Hmac
 * object per message (even from a key object) cost twice as much, and the standardwebhooks library's
 * SHA-256 in JavaScript far more (decision 0023). The tests check every signature with the library.
 */
export function createWebhookSigner(): (message: { id: string; secrets: readonly string[]; now: Date; body: string }) => string {
  const pads = new LRUCache<string, Pads>({ max: KEYS_KEPT });
  const padsOf = (secret: string) => {
    let found = pads.get(secret);
    if (found === undefined) {
      found = hmacPads(Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64'));
      pads.set(secret, found);
    }
    return found;
  };
  return ({ id, secrets, now, body }) => {
    const signed = `${id}.${Math.floor(now.getTime() / 1000)}.${body}`;
    const length = Buffer.byteLength(signed);
    return secrets
      .map((secret) => {
        const { inner, outer } = padsOf(secret);
        const innerInput = Buffer.allocUnsafe(BLOCK + length);
        inner.copy(innerInput, 0);
        innerInput.write(signed, BLOCK, 'utf8');
        return `v1,${hash('sha256', Buffer.concat([outer, hash('sha256', innerInput, 'buffer')]), 'base64')}`;
      })
      .join(' ');
  };
}

function hmacPads(rawKey: Buffer): Pads {
  // A key longer than a block is hashed first (RFC 2104 §2).
  const key = rawKey.length > BLOCK ? hash('sha256', rawKey, 'buffer') : rawKey;
  const inner = Buffer.alloc(BLOCK, 0x36);
  const outer = Buffer.alloc(BLOCK, 0x5c);
  for (let index = 0; index < key.length; index++) {
    inner[index]! ^= key[index]!;
    outer[index]! ^= key[index]!;
  }
  return { inner, outer };
}
