import { lookup as dnsLookup } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { Agent, request } from 'undici';
import { BlockedTargetError, guardedLookup, isPublicAddress } from './ssrf.ts';
import { createWebhookSigner } from './webhook-signer.ts';

export interface WebhookAttemptResult {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  retryAfter: string | null;
}

export interface WebhookSender {
  /** `secrets`: every secret to sign with (the current one, and a rotated-out one during its grace period). */
  send(message: { id: string; url: string; secrets: string[]; body: string; now: Date }): Promise<WebhookAttemptResult>;
  close(): Promise<void>;
}

/**
 * One HTTP attempt, signed per Standard Webhooks: `webhook-id` (the same on every retry: the
 * receiver's de-duplication key), `webhook-timestamp` (this attempt) and `webhook-signature`
 * (`v1,` + base64 HMAC-SHA256 of "id.timestamp.body", one per secret, space-separated: during a
 * secret rotation a receiver holding either secret finds its own). Redirects are not followed (a redirect is a
 * failure) and the response body is discarded unread beyond the first bytes.
 */
export function createWebhookSender(options: { timeoutMs: number; allowPrivateTargets: boolean }): WebhookSender {
  const agent = new Agent({
    connect: { lookup: (options.allowPrivateTargets ? dnsLookup : guardedLookup) as never, timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const sign = createWebhookSigner();
  const deadlines = new Deadlines(options.timeoutMs);
  return {
    async send(message) {
      const { body } = message;
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const signal = deadlines.watch(started);
      try {
        const host = new URL(message.url).hostname.replace(/^\[|\]$/g, '');
        if (!options.allowPrivateTargets && ipaddr.isValid(host) && !isPublicAddress(host)) throw new BlockedTargetError(host, host);
        const response = await request(message.url, {
          method: 'POST',
          dispatcher: agent,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'ProofRamp-Webhooks/1',
            'webhook-id': message.id,
            'webhook-timestamp': String(Math.floor(message.now.getTime() / 1000)),
            'webhook-signature': sign({ id: message.id, secrets: message.secrets, now: message.now, body }),
          },
          body,
          signal,
        });
        await response.body.dump({ limit: 64 * 1024 });
        const retryAfter = response.headers['retry-after'];
        return {
          statusCode: response.statusCode,
          latencyMs: elapsed(),
          error: null,
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0]! : (retryAfter ?? null),
        };
      } catch (error) {
        return { statusCode: null, latencyMs: elapsed(), error: describe(error), retryAfter: null };
      } finally {
        deadlines.release(signal);
      }
    },
    close: () => {
      deadlines.close();
      return agent.close();
    },
  };
}

/**
 * Whole-attempt timeouts (connecting, the answer and the body read together, which undici's own
 * timeouts only bound one at a time) from one timer for every attempt in flight, instead of a timer
 * per attempt (`AbortSignal.timeout`), which at thousands of attempts a second was a cost of its own.
 * An attempt is aborted within a tenth of the timeout (at most 250 ms) after its deadline.
 */
class Deadlines {
  private readonly pending = new Map<AbortSignal, { controller: AbortController; deadline: number }>();
  private timer: NodeJS.Timeout | null = null;
  private readonly timeoutMs: number;
  private readonly sweepEveryMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.sweepEveryMs = Math.max(5, Math.min(250, Math.floor(timeoutMs / 10)));
  }

  /** A signal aborted with a TimeoutError once the timeout has passed since `startedAt` (performance.now()). */
  watch(startedAt: number): AbortSignal {
    const controller = new AbortController();
    this.pending.set(controller.signal, { controller, deadline: startedAt + this.timeoutMs });
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.sweepEveryMs);
      this.timer.unref();
    }
    return controller.signal;
  }

  release(signal: AbortSignal): void {
    this.pending.delete(signal);
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private sweep(): void {
    const now = performance.now();
    for (const [signal, { controller, deadline }] of this.pending) {
      if (deadline > now) continue;
      this.pending.delete(signal);
      controller.abort(new DOMException('The attempt timed out.', 'TimeoutError'));
    }
    if (this.pending.size === 0) this.close();
  }
}

function describe(error: unknown): string {
  if (error instanceof BlockedTargetError) return `blocked: ${error.message}`;
  const err = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (err.cause instanceof BlockedTargetError) return `blocked: ${err.cause.message}`;
  return `${err.code ?? err.cause?.code ?? 'error'}: ${err.message ?? String(error)}`.slice(0, 500);
}
