import type { Transaction } from './types.ts';

export interface ErrorDetail {
  field: string;
  issue: string;
}

interface ApiErrorInit {
  status: number;
  error: string;
  code: string;
  message: string;
  requestId: string | null;
  details?: ErrorDetail[] | undefined;
  retryAfterMs?: number | null;
}

/**
 * The API answered with an error: the documented `{error, code, message, request_id}` body.
 * `status` is the HTTP status, `error` the slug (e.g. `invalid_request`), `code` the machine-readable
 * reason (e.g. `currency_not_allowed`); quote `requestId` when asking for support.
 */
export class ProofRampError extends Error {
  readonly status: number;
  readonly error: string;
  readonly code: string;
  readonly requestId: string | null;
  readonly details: ErrorDetail[] | undefined;
  /** From `Retry-After` (429, 503), in milliseconds. */
  readonly retryAfterMs: number | null;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = 'ProofRampError';
    this.status = init.status;
    this.error = init.error;
    this.code = init.code;
    this.requestId = init.requestId;
    this.details = init.details;
    this.retryAfterMs = init.retryAfterMs ?? null;
  }

  /** Whether sending the same request again may succeed (the SDK already retried it). */
  get retryable(): boolean {
    return this.status === 502 || this.status === 503;
  }
}

/**
 * The request got no HTTP answer: connection refused or reset, DNS or TLS failure, or the request
 * timed out. A POST may or may not have reached the server; the SDK retries it with the same
 * Idempotency-Key, so retrying yourself with that key is safe too.
 */
export class ProofRampNetworkError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'ProofRampNetworkError';
  }
}

/** Close codes the server uses on /ws that end a subscription for good. */
export const FATAL_CLOSE_CODES: Readonly<Record<number, { status: number; error: string; code: string }>> = {
  4400: { status: 400, error: 'invalid_request', code: 'missing_param' },
  4401: { status: 401, error: 'unauthorised', code: 'invalid_token' },
  4404: { status: 404, error: 'not_found', code: 'not_found' },
};

/** The server refused a WebSocket subscription: 4401 (token, origin or IP) or 4404 (unknown transaction or user). */
export class ProofRampSubscriptionError extends ProofRampError {
  readonly closeCode: number;

  constructor(closeCode: number, reason: string) {
    let known = FATAL_CLOSE_CODES[closeCode] ?? { status: 0, error: 'subscription_closed', code: 'subscription_closed' };
    // For 4401 the server puts the precise code (missing_token, invalid_token, forbidden_origin…) in the reason.
    if (closeCode === 4401 && /^[a-z_]+$/.test(reason)) {
      known = reason.startsWith('forbidden_') ? { status: 403, error: 'forbidden', code: reason } : { ...known, code: reason };
    }
    super({
      status: known.status,
      error: known.error,
      code: known.code,
      message: `subscription closed by the server (${closeCode}${reason ? `: ${reason}` : ''})`,
      requestId: null,
    });
    this.name = 'ProofRampSubscriptionError';
    this.closeCode = closeCode;
  }
}

/** waitForTerminal ran out of time; `lastTransaction` is the last state seen, if any. */
export class ProofRampTimeoutError extends Error {
  readonly lastTransaction: Transaction | null;

  constructor(message: string, lastTransaction: Transaction | null) {
    super(message);
    this.name = 'ProofRampTimeoutError';
    this.lastTransaction = lastTransaction;
  }
}

/** A webhook failed verification: missing headers, wrong signature, a timestamp over 5 minutes off, or a body that is not JSON. */
export class ProofRampWebhookError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'ProofRampWebhookError';
  }
}
