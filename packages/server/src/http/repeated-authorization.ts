import type { IncomingMessage } from 'node:http';
import { ApiError } from '../lib/errors.ts';

/**
 * Refuses a request that sends Authorization more than once. Node keeps the first and drops the
 * others, while a proxy or gateway in front may act on another one: the two would then disagree on
 * who is calling. Applies to every route, the /ws upgrade included (it fails before upgrading).
 */
export function refuseRepeatedAuthorization(raw: IncomingMessage): void {
  const lines = raw.rawHeaders;
  let seen = false;
  for (let i = 0; i < lines.length; i += 2) {
    const name = lines[i]!;
    if (name.length !== 13 || name.toLowerCase() !== 'authorization') continue;
    if (seen) {
      throw new ApiError('validation_error', 'Send the Authorization header once.', {
        details: [{ field: 'Authorization', issue: 'is sent more than once' }],
      });
    }
    seen = true;
  }
}
