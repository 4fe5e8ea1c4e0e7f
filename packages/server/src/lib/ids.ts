import { randomBytes, randomUUID } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 text; rejection sampling keeps every character equally likely. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** Prefixed ids say what they identify when they show up in logs or support tickets. */
export function newId(prefix: 'ptr' | 'wgt' | 'tok' | 'req' | 'pay' | 'trf'): string {
  return `${prefix}_${randomBase62(20)}`;
}

export function newUuid(): string {
  return randomUUID();
}
