import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Decoded keys kept at once, by secret; the least recently used goes first. */
const KEYS_KEPT = 10_000;

/**
 * Standard Webhooks signatures (`v1,` + base64 HMAC-SHA256 of "id.timestamp.body"), one per secret,
 * space-separated, computed with Node's native HMAC: the standardwebhooks library's is SHA-256 in
 * JavaScript, which at thousands of messages a second was a large part of the sender's time
 * (decision 0023). A secret is `whsec_` and the base64 of its key, decoded once. The tests check
 * every signature with the library.
 */
export function createWebhookSigner(): (message: { id: string; secrets: readonly string[]; now: Date; body: string }) => string {
  const keys = new LRUCache<string, KeyObject>({ max: KEYS_KEPT });
  const keyOf = (secret: string) => {
    let key = keys.get(secret);
    if (key === undefined) {
      // A key object made once: handing HMAC the raw bytes makes one on every call, which costs more than the HMAC.
      key = createSecretKey(Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64'));
      keys.set(secret, key);
    }
    return key;
  };
  return ({ id, secrets, now, body }) => {
    const signed = `${id}.${Math.floor(now.getTime() / 1000)}.${body}`;
    return secrets.map((secret) => `v1,${createHmac('sha256', keyOf(secret)).update(signed).digest('base64')}`).join(' ');
  };
}
