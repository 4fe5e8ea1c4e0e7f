import type { ErrorDetail } from './errors.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Objects up to this many keys are checked by a linear search, faster than hashing at this size. */
const LINEAR_KEYS = 16;

export const REPEATED_KEY = 'appears more than once';
export const LONE_SURROGATE = 'contains a lone surrogate (a \\uD800–\\uDFFF escape without its pair)';

/**
 * What JSON.parse accepts but I-JSON (RFC 7493) refuses, in text that already parses as JSON: a key
 * repeated in one object (JSON.parse keeps the last, another reader may keep the first), or a string
 * whose \u escapes leave a lone surrogate (stored, it becomes U+FFFD, so different values become one).
 * Text decoded from valid UTF-8 holds no lone surrogate itself, so only strings with escapes can.
 * Returns the first problem with the path of its field, or null. One pass, no recursion.
 */
export function findJsonTextProblem(text: string): ErrorDetail | null {
  // One entry per open object or array: the object's keys so far (null for an array), and where the
  // reading is in it (the current key, or the array index).
  const keys: Array<string[] | Set<string> | null> = [];
  const at: Array<string | number> = [];
  let expectsKey = false;
  // Strings are skipped with indexOf (most of a body is string content); only a string holding a
  // backslash is walked character by character, to find its real end, and decoded.
  let backslash = text.indexOf('\\');
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const start = i;
      i = text.indexOf('"', start + 1);
      if (backslash !== -1 && backslash < start) backslash = text.indexOf('\\', start);
      const escaped = backslash !== -1 && backslash < i;
      if (escaped) {
        for (i = backslash; text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
      }
      const decoded = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : null;
      if (decoded !== null && !decoded.isWellFormed()) {
        return { field: expectsKey ? pathOf(at, decoded) : pathOf(at), issue: LONE_SURROGATE };
      }
      if (expectsKey) {
        const key = decoded ?? text.slice(start + 1, i);
        const depth = keys.length - 1;
        const seen = keys[depth]!;
        if (Array.isArray(seen) ? seen.includes(key) : seen.has(key)) return { field: pathOf(at, key), issue: REPEATED_KEY };
        if (!Array.isArray(seen)) seen.add(key);
        else if (seen.length < LINEAR_KEYS) seen.push(key);
        else keys[depth] = new Set(seen).add(key);
        at[depth] = key;
        expectsKey = false;
      }
    } else if (code === OPEN_OBJECT) {
      keys.push([]);
      at.push('');
      expectsKey = true;
    } else if (code === OPEN_ARRAY) {
      keys.push(null);
      at.push(0);
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      keys.pop();
      at.pop();
      expectsKey = false;
    } else if (code === COMMA) {
      const depth = keys.length - 1;
      if (keys[depth] !== null) expectsKey = true;
      else at[depth] = (at[depth] as number) + 1;
    }
  }
  return null;
}

/**
 * The dotted path error details use (`extra.1.a`), `body` for the top level. For a problem key,
 * `key` replaces the innermost object's current key.
 */
function pathOf(at: Array<string | number>, key?: string): string {
  const parts = key === undefined ? at : [...at.slice(0, -1), key];
  return parts.length > 0 ? parts.join('.') : 'body';
}
