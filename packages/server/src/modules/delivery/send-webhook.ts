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
  return {
    async send(message) {
      const { body } = message;
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
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
          signal: AbortSignal.timeout(options.timeoutMs),
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
      }
    },
    close: () => agent.close(),
  };
}

function describe(error: unknown): string {
  if (error instanceof BlockedTargetError) return `blocked: ${error.message}`;
  const err = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (err.cause instanceof BlockedTargetError) return `blocked: ${err.cause.message}`;
  return `${err.code ?? err.cause?.code ?? 'error'}: ${err.message ?? String(error)}`.slice(0, 500);
}
