import { lookup as dnsLookup } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { Agent, type Dispatcher } from 'undici';
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
  const targets = new Targets(options.allowPrivateTargets);
  return {
    async send(message) {
      const { body } = message;
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const attempt = new Attempt();
      deadlines.watch(attempt, started);
      try {
        const target = targets.of(message.url);
        agent.dispatch(
          {
            origin: target.origin,
            path: target.path,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'user-agent': 'ProofRamp-Webhooks/1',
              'webhook-id': message.id,
              'webhook-timestamp': String(Math.floor(message.now.getTime() / 1000)),
              'webhook-signature': sign({ id: message.id, secrets: message.secrets, now: message.now, body }),
            },
            body,
          },
          attempt,
        );
        const { statusCode, retryAfter } = await attempt.answered;
        return { statusCode, latencyMs: elapsed(), error: null, retryAfter };
      } catch (error) {
        return { statusCode: null, latencyMs: elapsed(), error: describe(error), retryAfter: null };
      } finally {
        deadlines.release(attempt);
      }
    },
    close: () => {
      deadlines.close();
      return agent.close();
    },
  };
}

/** The response body is read (and thrown away) up to this many bytes; past it the connection is dropped. */
const RESPONSE_BYTES_READ = 64 * 1024;

/**
 * One request through undici's dispatcher interface, which `request()` is built on: the answer is its
 * status code, so no body stream, abort signal or listener is made per attempt (at thousands of
 * attempts a second each was a measurable cost). Once the status line has arrived, anything that goes
 * wrong reading the body (a timeout, a body too long) leaves the status code as the answer.
 */
class Attempt implements Dispatcher.DispatchHandler {
  readonly answered: Promise<{ statusCode: number; retryAfter: string | null }>;
  private resolve!: (answer: { statusCode: number; retryAfter: string | null }) => void;
  private reject!: (error: Error) => void;
  private controller: Dispatcher.DispatchController | null = null;
  private statusCode: number | null = null;
  private retryAfter: string | null = null;
  private bodyBytes = 0;
  /** Set when the deadline passed before the request was on a socket: it is aborted once it is. */
  private expired: Error | null = null;

  constructor() {
    this.answered = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  timeOut(): void {
    const error = new DOMException('The attempt timed out.', 'TimeoutError');
    if (this.controller) this.controller.abort(error);
    else this.expired = error;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.expired) controller.abort(this.expired);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.statusCode = statusCode;
    const retryAfter = headers['retry-after'];
    this.retryAfter = Array.isArray(retryAfter) ? retryAfter[0]! : (retryAfter ?? null);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > RESPONSE_BYTES_READ) controller.abort(new Error('response body too long: not read further'));
  }

  onResponseEnd(): void {
    this.settle(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.settle(error);
  }

  private settle(error: Error | null): void {
    if (this.statusCode !== null) this.resolve({ statusCode: this.statusCode, retryAfter: this.retryAfter });
    else this.reject(error ?? new Error('the connection ended without an answer'));
  }
}

/**
 * Where each endpoint URL sends, parsed once per URL rather than once per attempt, and refused at once
 * when it names a private address literally (names are checked when they resolve: `guardedLookup`).
 */
class Targets {
  private readonly parsed = new Map<string, { origin: string; path: string } | BlockedTargetError>();
  private readonly allowPrivate: boolean;

  constructor(allowPrivate: boolean) {
    this.allowPrivate = allowPrivate;
  }

  of(url: string): { origin: string; path: string } {
    let target = this.parsed.get(url);
    if (target === undefined) {
      target = this.parse(url);
      // A bound on memory, not a cache policy: endpoints are few, and parsing again is cheap.
      if (this.parsed.size >= 10_000) this.parsed.clear();
      this.parsed.set(url, target);
    }
    if (target instanceof BlockedTargetError) throw target;
    return target;
  }

  private parse(url: string): { origin: string; path: string } | BlockedTargetError {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (!this.allowPrivate && ipaddr.isValid(host) && !isPublicAddress(host)) return new BlockedTargetError(host, host);
    return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
  }
}

/**
 * Whole-attempt timeouts (connecting, the answer and the body read together, which undici's own
 * timeouts only bound one at a time) from one timer for every attempt in flight, instead of a timer
 * per attempt, which at thousands of attempts a second was a cost of its own. An attempt is aborted
 * within a tenth of the timeout (at most 250 ms) after its deadline.
 */
class Deadlines {
  private readonly pending = new Map<Attempt, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly timeoutMs: number;
  private readonly sweepEveryMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.sweepEveryMs = Math.max(5, Math.min(250, Math.floor(timeoutMs / 10)));
  }

  /** Times `attempt` out once the timeout has passed since `startedAt` (performance.now()). */
  watch(attempt: Attempt, startedAt: number): void {
    this.pending.set(attempt, startedAt + this.timeoutMs);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.sweepEveryMs);
      this.timer.unref();
    }
  }

  release(attempt: Attempt): void {
    this.pending.delete(attempt);
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private sweep(): void {
    const now = performance.now();
    for (const [attempt, deadline] of this.pending) {
      if (deadline > now) continue;
      this.pending.delete(attempt);
      attempt.timeOut();
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
