import { backoffDelay, sleep } from './backoff.ts';
import { type ErrorDetail, ProofRampError, ProofRampNetworkError } from './proof-ramp-error.ts';

export interface RetryOptions {
  /** Tries in all, the first included (1 turns retrying off). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 5_000 };

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface Transport {
  baseUrl: string;
  clientToken: string;
  fetch: FetchLike;
  retry: RetryOptions;
  timeoutMs: number;
}

export interface ApiRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** False sends once (pollers that will ask again anyway). */
  retry?: boolean;
}

const USER_AGENT = 'proof-ramp-sdk-node/0.1.0';

/**
 * Sends one API call. 502, 503 and network failures are retried with capped exponential backoff
 * and jitter (honouring Retry-After up to the cap); every other error answer is thrown at once.
 * The request is built once, so a retry carries the very same headers (Idempotency-Key included).
 */
export async function send<T>(transport: Transport, request: ApiRequest): Promise<T> {
  const maxAttempts = request.retry === false ? 1 : Math.max(1, transport.retry.maxAttempts);
  const headers: Record<string, string> = {
    accept: 'application/json',
    authorization: `Bearer ${transport.clientToken}`,
    'user-agent': USER_AGENT,
    ...request.headers,
  };
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  const url = `${transport.baseUrl}${request.path}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOnce<T>(transport, url, { method: request.method, headers, body }, request.signal);
    } catch (error) {
      if (attempt >= maxAttempts || !isRetryable(error)) throw error;
      const delay = Math.max(
        backoffDelay(attempt, transport.retry),
        Math.min(transport.retry.maxDelayMs, (error as ProofRampError).retryAfterMs ?? 0),
      );
      await sleep(delay, request.signal);
    }
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof ProofRampNetworkError || (error instanceof ProofRampError && error.retryable);
}

async function sendOnce<T>(transport: Transport, url: string, init: RequestInit, callerSignal: AbortSignal | undefined): Promise<T> {
  const timeout = AbortSignal.timeout(transport.timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
  let response: Response;
  let text: string;
  try {
    response = await transport.fetch(url, { ...init, signal });
    text = await response.text();
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    const why = timeout.aborted ? `no answer within ${transport.timeoutMs} ms` : describe(error);
    throw new ProofRampNetworkError(`${init.method} ${url} failed: ${why}`, { cause: error });
  }
  const requestId = response.headers.get('x-request-id');
  const parsed = parseJson(text);
  if (response.ok) {
    if (parsed === undefined) {
      throw new ProofRampError({
        status: response.status,
        error: 'invalid_response',
        code: 'invalid_response',
        message: 'The API answered with a body that is not JSON.',
        requestId,
      });
    }
    return parsed as T;
  }
  const body = (parsed ?? {}) as { error?: unknown; code?: unknown; message?: unknown; request_id?: unknown; details?: unknown };
  const fallback = `http_${response.status}`;
  throw new ProofRampError({
    status: response.status,
    error: typeof body.error === 'string' ? body.error : fallback,
    code: typeof body.code === 'string' ? body.code : fallback,
    message: typeof body.message === 'string' ? body.message : `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    requestId: typeof body.request_id === 'string' ? body.request_id : requestId,
    details: Array.isArray(body.details) ? (body.details as ErrorDetail[]) : undefined,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseRetryAfter(value: string | null): number | null {
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function describe(error: unknown): string {
  const err = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? 'error'} (${cause})` : (err.message ?? String(error));
}
