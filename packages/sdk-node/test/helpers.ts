import { ProviderError } from '../../server/src/lib/provider-error.ts';
import type { RateProvider } from '../../server/src/modules/pricing/rate-provider.ts';
import { SandboxRateProvider } from '../../server/src/modules/pricing/sandbox-rate-provider.ts';
import { ADMIN_TOKEN, request, type TestServer } from '../../server/test/helpers/test-platform.ts';

export { ADMIN_TOKEN };

/** The sandbox rates, failing the next `failNext` quotes (a provider outage the API reports as 502). */
export class FlakyRates implements RateProvider {
  readonly name = 'flaky-sandbox';
  failNext = 0;
  calls = 0;
  readonly #inner = new SandboxRateProvider();

  quote(...args: Parameters<RateProvider['quote']>): ReturnType<RateProvider['quote']> {
    this.calls++;
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new ProviderError({ provider: this.name, kind: 'unavailable', message: 'rates are down (test)' }));
    }
    return this.#inner.quote(...args);
  }
}

export interface Call {
  method: string;
  url: string;
  idempotencyKey: string | null;
  status: number | 'network-error';
  requestId: string | null;
}

/** A fetch that records every call the SDK makes (to count retries and compare headers). */
export function recordingFetch(
  calls: Call[],
  inner: (input: string, init: RequestInit) => Promise<Response> = (input, init) => fetch(input, init),
) {
  return async (input: string, init: RequestInit): Promise<Response> => {
    const call: Call = {
      method: init.method ?? 'GET',
      url: input,
      idempotencyKey: new Headers(init.headers).get('idempotency-key'),
      status: 'network-error',
      requestId: null,
    };
    calls.push(call);
    const response = await inner(input, init);
    call.status = response.status;
    call.requestId = response.headers.get('x-request-id');
    return response;
  };
}

/** Moves a transaction with the sandbox operator call. */
export async function moveStatus(server: Pick<TestServer, 'url'>, id: string, status: string): Promise<void> {
  const result = await request(`${server.url}/admin/sandbox/transactions/${id}/status`, { token: ADMIN_TOKEN, body: { status } });
  if (result.status !== 200) throw new Error(`moving ${id} to ${status}: ${result.status} ${JSON.stringify(result.body)}`);
}

/** Waits for a condition, polling briefly; fails after `timeoutMs` (a bounded wait for an event, not a fixed sleep). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
