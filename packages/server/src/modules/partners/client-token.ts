import { sha256Hex } from '../../lib/crypto.ts';
import { randomBase62 } from '../../lib/ids.ts';

/** A new client token: `ct_` and 32 base62 characters (190 random bits), shown to the operator once. */
export function newClientToken(): string {
  return `ct_${randomBase62(32)}`;
}

/** How a token is stored and looked up: random tokens need no slow hash. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}
