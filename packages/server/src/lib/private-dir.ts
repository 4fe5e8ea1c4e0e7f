import { chmodSync, mkdirSync } from 'node:fs';

/**
 * Creates `path` (and its parents) readable by this user only, and tightens it when it already exists.
 * The embedded database writes its files world-writable (0666); a 0700 folder around them is what
 * keeps other local users from reading live init tokens or corrupting the data.
 */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}
