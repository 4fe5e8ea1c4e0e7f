import { randomUUID } from 'node:crypto';
import { sleep } from './backoff.ts';
import { DEFAULT_RETRY, type FetchLike, type RetryOptions, send, type Transport } from './http.ts';
import { ProofRampError, ProofRampTimeoutError } from './proof-ramp-error.ts';
import { type Subscription, type SubscriptionOptions, type SubscriptionTarget, subscribe } from './subscribe.ts';
import { isTerminalStatus, type KycStatus, type SessionParams, type SessionResponse, type Transaction } from './types.ts';

export interface ProofRampOptions {
  /** Where the platform is deployed, e.g. https://ramp.example.com (no trailing /widget). */
  baseUrl: string;
  /** The partner client_token. Server side only: never ship it to a browser. */
  clientToken: string;
  /** Replaces the global fetch (a proxy, a test double, an instrumented client). */
  fetch?: FetchLike;
  /** Retries of 502, 503 and network failures. Default: 4 attempts, 250 ms doubling up to 5 s, with jitter. */
  retry?: Partial<RetryOptions>;
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
  /**
   * Lowest polling interval accepted by waitForTerminal and the subscription fallback. Default
   * 5000 ms: the contract asks clients to poll every 5–10 s. Lower it only in tests.
   */
  minPollIntervalMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface WaitOptions extends RequestOptions {
  /** Between polls; default 5000, kept within 5–10 s (the lower bound is `minPollIntervalMs`). */
  intervalMs?: number;
  /** Gives up with ProofRampTimeoutError after this long; default: wait until aborted. */
  timeoutMs?: number;
}

const DEFAULT_POLL_MS = 5_000;
const MAX_POLL_MS = 10_000;

/** The partner's server-side client for the Proof Ramp API. */
export class ProofRamp {
  readonly #transport: Transport;
  readonly #minPollMs: number;

  constructor(options: ProofRampOptions) {
    const base = new URL(options.baseUrl); // throws on a malformed URL
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError('baseUrl must be an http(s) URL');
    if (!options.clientToken) throw new TypeError('clientToken is required');
    this.#transport = {
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      clientToken: options.clientToken,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      retry: { ...DEFAULT_RETRY, ...options.retry },
      timeoutMs: options.timeoutMs ?? 30_000,
    };
    this.#minPollMs = options.minPollIntervalMs ?? DEFAULT_POLL_MS;
  }

  /**
   * POST /widget/session: creates one transaction and returns the widget's parameters. Sent with an
   * Idempotency-Key (yours, or a random UUID) that every retry reuses, so a retried call never
   * creates a second session.
   */
  createSession(params: SessionParams, options: RequestOptions & { idempotencyKey?: string } = {}): Promise<SessionResponse> {
    return send<SessionResponse>(this.#transport, {
      method: 'POST',
      path: '/widget/session',
      body: params,
      headers: { 'idempotency-key': options.idempotencyKey ?? randomUUID() },
      signal: options.signal,
    });
  }

  /** GET /widget/transactions/{merchant_transaction_id}; an unknown id throws ProofRampError 404. */
  getTransaction(merchantTransactionId: string, options: RequestOptions & { retry?: boolean } = {}): Promise<Transaction> {
    return send<Transaction>(this.#transport, {
      method: 'GET',
      path: `/widget/transactions/${encodeURIComponent(merchantTransactionId)}`,
      signal: options.signal,
      retry: options.retry,
    });
  }

  /** GET /widget/users/{partner_user_id}/kyc-status. */
  getKycStatus(partnerUserId: string, options: RequestOptions = {}): Promise<KycStatus> {
    return send<KycStatus>(this.#transport, {
      method: 'GET',
      path: `/widget/users/${encodeURIComponent(partnerUserId)}/kyc-status`,
      signal: options.signal,
    });
  }

  /**
   * Polls until the transaction is completed, failed or cancelled and returns it. Temporary failures
   * (5xx, 429, network) are polled through; other API errors (401, 404…) are thrown.
   */
  async waitForTerminal(merchantTransactionId: string, options: WaitOptions = {}): Promise<Transaction> {
    const interval = this.#pollInterval(options.intervalMs);
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    let last: Transaction | null = null;
    for (;;) {
      try {
        last = await this.getTransaction(merchantTransactionId, { signal: options.signal, retry: false });
        if (isTerminalStatus(last.status)) return last;
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (error instanceof ProofRampError && error.status < 500 && error.status !== 429) throw error;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new ProofRampTimeoutError(`${merchantTransactionId} is not final after ${options.timeoutMs} ms`, last);
      await sleep(Math.min(interval, left), options.signal);
    }
  }

  /**
   * Follows one transaction (`{ txId }`) or every transaction of a user (`{ userId }`) over the
   * WebSocket, reconnecting with backoff and polling meanwhile; see Subscription.
   */
  subscribe(target: SubscriptionTarget, options: SubscriptionOptions): Subscription {
    return subscribe(
      {
        baseUrl: this.#transport.baseUrl,
        clientToken: this.#transport.clientToken,
        pollIntervalMs: this.#pollInterval(options.pollIntervalMs),
        fetchTransaction: (id) => this.getTransaction(id, { retry: false }),
      },
      target,
      options,
    );
  }

  /** The interval to poll at: the default 5 s, or the one asked for kept within [minPollIntervalMs, 10 s]. */
  #pollInterval(asked: number | undefined): number {
    const floor = this.#minPollMs;
    return Math.min(Math.max(asked ?? DEFAULT_POLL_MS, floor), Math.max(floor, MAX_POLL_MS));
  }
}
