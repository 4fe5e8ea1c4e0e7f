/**
 * When a webhook is tried again after a failed attempt: the Standard Webhooks example schedule.
 * Attempt 1 is immediate; after failure n the next comes after RETRY_DELAYS_MS[n-1] (±10 % jitter):
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. The tenth attempt comes about 75.6 hours after
 * the first; if it fails too, the delivery is marked failed and can be replayed by the operator.
 */
export const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000] as const;

export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** Milliseconds until the next attempt, or null when the delivery has used all its attempts. */
export function nextDelayMs(attemptsMade: number, options: { retryAfterMs?: number | null; random?: () => number } = {}): number | null {
  if (attemptsMade >= MAX_ATTEMPTS) return null;
  const base = RETRY_DELAYS_MS[attemptsMade - 1]!;
  const jitter = 1 + ((options.random ?? Math.random)() * 0.2 - 0.1);
  const scheduled = Math.round(base * jitter);
  // A receiver asking for more time (429/503 with Retry-After) gets it, up to a day.
  const asked = Math.min(options.retryAfterMs ?? 0, 86_400_000);
  return Math.max(scheduled, asked);
}

/** Reads Retry-After as seconds or an HTTP date. */
export function parseRetryAfter(header: string | null | undefined, now: Date): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}
