/**
 * The one error an adapter throws when the party behind it cannot give a usable answer. The HTTP
 * error handler maps it to the documented 502s; anything else an adapter throws is a bug (500).
 *
 * - `unavailable`: no answer (connection refused, timeout, 5xx, the vendor's "service unavailable" or
 *   "too many requests"). Retrying later can help.
 * - `invalid_response`: an answer we cannot trust (not JSON, missing fields, a malformed number).
 *   Retrying can help, since the next answer may be whole.
 * - `rejected`: a clear "no" (an unknown pair, a capability that is not configured). Retrying the same
 *   request does not help unless the adapter says otherwise.
 *
 * `message` is for operators and lands in the logs; it must never carry credentials.
 */
export type ProviderErrorKind = 'unavailable' | 'invalid_response' | 'rejected';

export interface ProviderErrorOptions {
  /** The adapter's name, e.g. "kraken" or "sandbox". */
  provider: string;
  kind: ProviderErrorKind;
  message: string;
  /** Defaults to true for `unavailable` and `invalid_response`, false for `rejected`. */
  retryable?: boolean;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: ProviderErrorKind;
  readonly retryable: boolean;

  constructor(options: ProviderErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.provider = options.provider;
    this.kind = options.kind;
    this.retryable = options.retryable ?? options.kind !== 'rejected';
  }
}
