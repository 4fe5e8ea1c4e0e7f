import { describe, expect, it } from 'vitest';
import { freePort } from '../../server/test/helpers/net.ts';
import { withRateProvider } from '../../server/test/helpers/platform-internals.ts';
import { useServerWithPartner } from '../../server/test/helpers/use-server-with-partner.ts';
import { ProofRamp, ProofRampError, ProofRampNetworkError, ProofRampTimeoutError, type SessionParams } from '../src/index.ts';
import { type Call, FlakyRates, moveStatus, recordingFetch, UUID, waitFor } from './helpers.ts';

const params = (overrides: Partial<SessionParams> = {}): SessionParams => ({
  partner_user_id: 'sdk-user-1',
  user_email: 'sdk-user@example.com',
  currency: 'USDT',
  network: 'TRC20',
  amount: '100',
  ...overrides,
});

describe('ProofRamp client against the real server', () => {
  const rates = new FlakyRates();
  const server = useServerWithPartner({ env: { SANDBOX_TOOLS: 'true' }, platformOptions: withRateProvider(rates) });

  /** A client whose calls are recorded; retries and polls are fast so the suite stays quick. */
  const client = (
    calls: Call[] = [],
    options: { fetch?: Parameters<typeof recordingFetch>[1]; maxAttempts?: number; token?: string } = {},
  ) =>
    new ProofRamp({
      baseUrl: server.url,
      clientToken: options.token ?? server.partner.client_token,
      fetch: recordingFetch(calls, options.fetch),
      retry: { maxAttempts: options.maxAttempts ?? 4, baseDelayMs: 5, maxDelayMs: 20 },
      minPollIntervalMs: 0,
    });

  describe('sessions, reads and waiting', () => {
    it('creates a session with a generated Idempotency-Key and returns every widget parameter', async () => {
      const calls: Call[] = [];
      const session = await client(calls).createSession(params());
      expect(calls).toHaveLength(1);
      expect(calls[0]!.idempotencyKey).toMatch(UUID);
      expect(session).toMatchObject({
        widget_id: server.partner.widget_id,
        init_token_type: 'sdk_partner_authorization',
        currency: 'USDT',
        network: 'TRC20',
        fix_network: ['TRC20'],
        amount: '100',
        fix_amount: true,
        fiat_currency: 'EUR',
        type: 'buy',
        widget_url: `${server.url}/widget.2.0.js`,
      });
      expect(session.merchant_transaction_id).toMatch(UUID);
      expect(session.signature).toMatch(/^v2:[0-9a-f]{128}$/);
      expect(session.init_token).toBeTruthy();
    });

    it('passes a given Idempotency-Key through, so a repeat returns the same session', async () => {
      const calls: Call[] = [];
      const sdk = client(calls);
      const first = await sdk.createSession(params(), { idempotencyKey: 'order-4711' });
      const again = await sdk.createSession(params(), { idempotencyKey: 'order-4711' });
      expect(again).toEqual(first);
      expect(calls.map((call) => call.idempotencyKey)).toEqual(['order-4711', 'order-4711']);
    });

    it('reads a transaction and a KYC status, and types 404s', async () => {
      const sdk = client();
      const session = await sdk.createSession(params({ partner_user_id: 'sdk-reader' }));
      const transaction = await sdk.getTransaction(session.merchant_transaction_id);
      expect(transaction).toMatchObject({
        merchant_transaction_id: session.merchant_transaction_id,
        partner_user_id: 'sdk-reader',
        type: 'buy',
        status: 'pending',
        currency: 'USDT',
        network: 'TRC20',
        crypto_amount: '',
        fiat_currency: 'EUR',
        fiat_amount: session.fiat_amount,
      });
      expect(transaction.created_at).toMatch(/Z$/);
      await expect(sdk.getTransaction('no-such-id')).rejects.toMatchObject({ status: 404, code: 'not_found' });

      expect(await sdk.getKycStatus('sdk-reader')).toEqual({ partner_user_id: 'sdk-reader', status: 'not_started' });
      await expect(sdk.getKycStatus('nobody')).rejects.toMatchObject({ status: 404, error: 'not_found' });
    });

    it('waitForTerminal polls until the transaction is final', async () => {
      const calls: Call[] = [];
      const sdk = client(calls);
      const { merchant_transaction_id: id } = await sdk.createSession(params());
      const waiting = sdk.waitForTerminal(id, { intervalMs: 20, timeoutMs: 10_000 });
      await waitFor(() => calls.filter((call) => call.method === 'GET').length >= 1, 'the first poll');
      await moveStatus(server, id, 'processing');
      await waitFor(() => calls.filter((call) => call.method === 'GET').length >= 3, 'polls after processing');
      await moveStatus(server, id, 'completed');
      const final = await waiting;
      expect(final).toMatchObject({ merchant_transaction_id: id, status: 'completed', crypto_amount: '100' });
    });
  });

  describe('retries and typed errors', () => {
    it('retries 502 upstream_unavailable with the same Idempotency-Key until the provider recovers', async () => {
      const calls: Call[] = [];
      rates.failNext = 2;
      const session = await client(calls).createSession(params({ partner_user_id: 'sdk-retry' }));
      expect(calls.map((call) => call.status)).toEqual([502, 502, 200]);
      expect(new Set(calls.map((call) => call.idempotencyKey)).size).toBe(1);
      expect(calls[0]!.idempotencyKey).toMatch(UUID);
      expect((await client().getTransaction(session.merchant_transaction_id)).partner_user_id).toBe('sdk-retry');
    });

    it('gives up after maxAttempts with a typed 502 error carrying code and request id', async () => {
      const calls: Call[] = [];
      rates.failNext = 10;
      const error = await client(calls, { maxAttempts: 3 })
        .createSession(params())
        .catch((e: unknown) => e);
      rates.failNext = 0;
      expect(calls.map((call) => call.status)).toEqual([502, 502, 502]);
      expect(error).toBeInstanceOf(ProofRampError);
      expect(error).toMatchObject({
        status: 502,
        error: 'upstream_unavailable',
        code: 'upstream_unavailable',
        retryable: true,
        requestId: calls[2]!.requestId,
      });
      expect((error as ProofRampError).requestId).toMatch(/^req_/);
      expect((error as ProofRampError).message).toMatch(/retry/i);
    });

    it('retries 503 answers and network failures too, keeping the Idempotency-Key', async () => {
      const calls: Call[] = [];
      let n = 0;
      const flaky = async (input: string, init: RequestInit) => {
        n++;
        if (n === 1) return new Response('<html>maintenance</html>', { status: 503, headers: { 'retry-after': '0' } });
        if (n === 2) throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }) });
        return fetch(input, init);
      };
      const session = await client(calls, { fetch: flaky }).createSession(params());
      expect(calls.map((call) => call.status)).toEqual([503, 'network-error', 200]);
      expect(new Set(calls.map((call) => call.idempotencyKey)).size).toBe(1);
      expect(session.merchant_transaction_id).toMatch(UUID);
    });

    it('reports an unreachable server as ProofRampNetworkError, not as an API error', async () => {
      const calls: Call[] = [];
      const nobody = new ProofRamp({
        baseUrl: `http://127.0.0.1:${await freePort()}`,
        clientToken: 'x',
        fetch: recordingFetch(calls),
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
      });
      const error = await nobody.createSession(params()).catch((e: unknown) => e);
      expect(calls.map((call) => call.status)).toEqual(['network-error', 'network-error']);
      expect(error).toBeInstanceOf(ProofRampNetworkError);
      expect(error).not.toBeInstanceOf(ProofRampError);
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
    });

    it('never retries 400, 401 or 409, and types each error', async () => {
      const invalid: Call[] = [];
      const badCurrency = await client(invalid)
        .createSession(params({ currency: 'DOGE' }))
        .catch((e: unknown) => e);
      expect(invalid).toHaveLength(1);
      expect(badCurrency).toMatchObject({
        status: 400,
        error: 'invalid_request',
        code: 'currency_not_allowed',
        requestId: invalid[0]!.requestId,
      });

      const missing: Call[] = [];
      const noEmail = await client(missing)
        .createSession({ ...params(), user_email: undefined } as unknown as SessionParams)
        .catch((e: unknown) => e);
      expect(missing).toHaveLength(1);
      expect(noEmail).toMatchObject({ status: 400, code: 'missing_param', details: [{ field: 'user_email', issue: 'is required' }] });

      const unauthorised: Call[] = [];
      const badToken = await client(unauthorised, { token: 'ct_not_a_real_token' })
        .getTransaction('whatever')
        .catch((e: unknown) => e);
      expect(unauthorised).toHaveLength(1);
      expect(badToken).toMatchObject({ status: 401, error: 'unauthorised', code: 'invalid_token' });

      const conflict: Call[] = [];
      const sdk = client(conflict);
      await sdk.createSession(params({ amount: '100' }), { idempotencyKey: 'reused-key' });
      const reused = await sdk.createSession(params({ amount: '200' }), { idempotencyKey: 'reused-key' }).catch((e: unknown) => e);
      expect(conflict).toHaveLength(2);
      expect(reused).toBeInstanceOf(ProofRampError);
      expect(reused).toMatchObject({ status: 409, error: 'conflict', code: 'idempotency_key_reused', retryable: false });
      expect((reused as ProofRampError).requestId).toBe(conflict[1]!.requestId);
    });

    it('waitForTerminal times out with the last state, and stops when aborted', async () => {
      const sdk = client();
      const { merchant_transaction_id: id } = await sdk.createSession(params());
      const timedOut = await sdk.waitForTerminal(id, { intervalMs: 20, timeoutMs: 100 }).catch((e: unknown) => e);
      expect(timedOut).toBeInstanceOf(ProofRampTimeoutError);
      expect((timedOut as ProofRampTimeoutError).lastTransaction?.status).toBe('pending');

      const controller = new AbortController();
      const aborted = sdk.waitForTerminal(id, { intervalMs: 20, signal: controller.signal }).catch((e: unknown) => e);
      controller.abort();
      expect(await aborted).toMatchObject({ name: 'AbortError' });

      await expect(sdk.waitForTerminal('no-such-id', { intervalMs: 20 })).rejects.toMatchObject({ status: 404 });
    });
  });
});
