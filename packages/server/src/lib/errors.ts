/**
 * The error vocabulary of the public API. Every failure a partner sees is one of these rows:
 * an HTTP status, a stable `error` slug and a machine-readable `code`.
 */
export const API_ERRORS = {
  validation_error: { status: 400, error: 'invalid_request' },
  decode_error: { status: 400, error: 'invalid_request' },
  missing_param: { status: 400, error: 'invalid_request' },
  currency_not_allowed: { status: 400, error: 'invalid_request' },
  amount_out_of_range: { status: 400, error: 'invalid_request' },
  /** (ours) A payment for a sell: the user pays in crypto there, never by card or wallet. */
  not_a_buy: { status: 400, error: 'invalid_request' },
  /** (ours) A payout card for a buy: only a sell pays out to a card. */
  not_a_sell: { status: 400, error: 'invalid_request' },
  /** (ours) A provider callback whose signature, timestamp or payload cannot be accepted. */
  invalid_signature: { status: 400, error: 'invalid_request' },
  WALLET_NOT_SUPPORTED: { status: 400, error: 'wallet_not_supported' },
  missing_token: { status: 401, error: 'unauthorised' },
  invalid_token: { status: 401, error: 'unauthorised' },
  forbidden_origin: { status: 403, error: 'forbidden' },
  forbidden_ip: { status: 403, error: 'forbidden' },
  offramp_disabled: { status: 403, error: 'forbidden' },
  not_found: { status: 404, error: 'not_found' },
  /** (ours) The path exists, but not for this method; the Allow header lists the ones it takes. */
  method_not_allowed: { status: 405, error: 'invalid_request' },
  session_already_used: { status: 409, error: 'conflict' },
  idempotency_key_reused: { status: 409, error: 'conflict' },
  /** Admin only: a status change the state machine does not allow. */
  illegal_transition: { status: 409, error: 'conflict' },
  /** (ours) The user's identity is already verified: no document is taken, nothing is submitted again. */
  kyc_already_verified: { status: 409, error: 'conflict' },
  /** (ours) A submission of the user's identity awaits the provider's decision. */
  kyc_in_progress: { status: 409, error: 'conflict' },
  /** (ours) The transaction is no longer pending, so its steps (identity, payment) are closed. */
  transaction_not_pending: { status: 409, error: 'conflict' },
  /** (ours) A payment attempt of this transaction awaits its challenge or outcome; one at a time. */
  payment_in_progress: { status: 409, error: 'conflict' },
  /** (ours) Crypto has arrived for this sell: its amount can no longer change and it can no longer be cancelled. */
  deposit_received: { status: 409, error: 'conflict' },
  /** (ours) The sell's payout was sent to the card: the card can no longer change. */
  payout_in_progress: { status: 409, error: 'conflict' },
  /** (ours) A payment needs a current quote: no amount was picked yet, or the quote expired (lock a new one first). */
  quote_required: { status: 409, error: 'conflict' },
  /** (ours) The user's identity must be verified before paying (embed API). */
  verification_required: { status: 409, error: 'conflict' },
  /** (ours) Every payment attempt allowed (PAYMENT_MAX_ATTEMPTS) has been used. */
  payment_attempts_exhausted: { status: 409, error: 'conflict' },
  /** (ours) The payment attempt is not waiting for a 3-D Secure answer (none asked, or already answered). */
  no_challenge_pending: { status: 409, error: 'conflict' },
  /** (ours) The request did not arrive within REQUEST_TIMEOUT / HEADERS_TIMEOUT. */
  request_timeout: { status: 408, error: 'invalid_request' },
  body_too_large: { status: 413, error: 'invalid_request' },
  unsupported_media_type: { status: 415, error: 'invalid_request' },
  rate_limit_exceeded: { status: 429, error: 'rate_limited' },
  /** (ours) The request headers are larger than the server accepts. */
  headers_too_large: { status: 431, error: 'invalid_request' },
  internal_error: { status: 500, error: 'internal_error' },
  provider_error: { status: 502, error: 'upstream_error' },
  upstream_unavailable: { status: 502, error: 'upstream_unavailable' },
  upstream_invalid_response: { status: 502, error: 'upstream_unavailable' },
  /** (ours) The node cannot take the request for a moment (its WebSocket process is restarting): try again after Retry-After. */
  service_unavailable: { status: 503, error: 'unavailable' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export interface ErrorDetail {
  field: string;
  issue: string;
}

/** Thrown anywhere in request handling; the HTTP layer turns it into the documented error body. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly error: string;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ApiErrorCode, message: string, options: { details?: ErrorDetail[]; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = API_ERRORS[code].status;
    this.error = API_ERRORS[code].error;
    this.details = options.details;
    this.headers = options.headers;
  }
}

export function invalidField(field: string, issue: string): ApiError {
  return new ApiError('validation_error', `${field}: ${issue}`, { details: [{ field, issue }] });
}

/** Errors raised by operator tools (CLI and admin API) for bad configuration input. */
export class ConfigurationError extends Error {
  readonly field: string;
  readonly issue: string;
  constructor(field: string, issue: string) {
    super(`${field}: ${issue}`);
    this.name = 'ConfigurationError';
    this.field = field;
    this.issue = issue;
  }
}
