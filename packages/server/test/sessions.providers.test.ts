import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.ts';
import { ProviderError } from '../src/lib/provider-error.ts';
import type { MarketQuote, QuoteRequest, RateProvider } from '../src/modules/pricing/rate-provider.ts';
import { SandboxRateProvider } from '../src/modules/pricing/sandbox-rate-provider.ts';
import type { AllocateRequest, DepositAddressProvider } from '../src/modules/settlement/deposit-address-provider.ts';
import { NoDepositAddresses } from '../src/modules/settlement/no-deposit-addresses.ts';
import { SandboxDepositAddresses } from '../src/modules/settlement/sandbox-deposit-addresses.ts';
import { KrakenRateProvider } from '../src/providers/kraken/kraken-rate-provider.ts';
import { parseKrakenSettings } from '../src/providers/kraken/settings.ts';
import { type FakeKraken, startFakeKraken } from './fakes/fake-kraken.ts';
import { logCollector } from './helpers/log-collector.ts';
import { expectError, type PartnerCredentials, request, sessionBody, startTestServer, type TestServer } from './helpers/test-platform.ts';

/**
 * What a partner sees when an adapter fails, through real HTTP: a ProviderError becomes the documented
 * 502 (unavailable → upstream_unavailable, invalid_response → upstream_invalid_response, rejected →
 * provider_error), anything else an adapter throws is our bug (500), and no failed request leaves a
 * transaction behind. Also the Kraken adapter end to end, on a local fake.
 */

/** Rates whose next answers the test decides: a sandbox quote, a thrown error, or a returned value. */
class ScriptedRates implements RateProvider {
  readonly name = 'scripted';
  private readonly sandbox = new SandboxRateProvider();
  behaviour: ((request: QuoteRequest) => Promise<MarketQuote>) | null = null;
  quote(request: QuoteRequest): Promise<MarketQuote> {
    return this.behaviour ? this.behaviour(request) : this.sandbox.quote(request);
  }
}

/** The sandbox's deposit addresses, or (when `configured` is false) the `none` adapter production starts with. */
class SwitchableDepositAddresses implements DepositAddressProvider {
  readonly name = 'switchable';
  configured = true;
  private readonly sandbox = new SandboxDepositAddresses({ seedKey: randomBytes(32) });
  private readonly none = new NoDepositAddresses();
  allocate(request: AllocateRequest): Promise<string> {
    return this.configured ? this.sandbox.allocate(request) : this.none.allocate();
  }
}

describe('adapter failures through POST /widget/session', () => {
  const rates = new ScriptedRates();
  const depositAddresses = new SwitchableDepositAddresses();
  const logs = logCollector();
  let server: TestServer;
  let partner: PartnerCredentials;

  beforeAll(async () => {
    server = await startTestServer({ platformOptions: { providers: { rates, depositAddresses }, logger: logs.logger } });
    partner = await server.createPartner();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    rates.behaviour = null;
    depositAddresses.configured = true;
  });

  const post = (id: string, overrides: Record<string, unknown> = {}) =>
    request(`${server.url}/widget/session`, {
      token: partner.client_token,
      body: sessionBody({ merchant_transaction_id: id, ...overrides }),
    });

  async function expectNoTransaction(id: string): Promise<void> {
    expectError(await request(`${server.url}/widget/transactions/${id}`, { token: partner.client_token }), 404, 'not_found', 'not_found');
    const rows = await server.platform.db.selectFrom('transactions').select('id').where('merchant_transaction_id', '=', id).execute();
    expect(rows).toEqual([]);
  }

  it('answers 502 upstream_unavailable when the rate provider is unavailable, logs it at warn, and creates nothing', async () => {
    rates.behaviour = async () => {
      throw new ProviderError({
        provider: 'scripted',
        kind: 'unavailable',
        message: 'no answer within 3000 ms',
        cause: new Error('socket hang up'),
      });
    };
    const result = await post('unavailable-1');
    const body = expectError(result, 502, 'upstream_unavailable', 'upstream_unavailable');
    expect(body.message).toBe('A provider we depend on is unavailable right now; retry with the same request.');
    expect(result.headers.get('x-request-id')).toMatch(/^req_/);
    await expectNoTransaction('unavailable-1');
    const entry = logs.lines.find((line) => line.reqId === body.request_id && line.provider === 'scripted');
    expect(entry).toMatchObject({ level: 40, provider: 'scripted', kind: 'unavailable', retryable: true, cause: 'socket hang up' });
    expect(String(entry?.msg)).toContain('no answer within 3000 ms');
  });

  it('answers 502 upstream_invalid_response when the provider says its answer was malformed', async () => {
    rates.behaviour = async () => {
      throw new ProviderError({ provider: 'scripted', kind: 'invalid_response', message: 'price is not a decimal' });
    };
    expectError(await post('invalid-1'), 502, 'upstream_unavailable', 'upstream_invalid_response');
    await expectNoTransaction('invalid-1');
  });

  it.each([
    ['an exponent', { rate: '9.2e-1', networkFee: '1' }],
    ['a zero rate', { rate: '0.00', networkFee: '1' }],
    ['a float', { rate: 0.92, networkFee: '1' }],
    ['a fee finer than the asset', { rate: '0.92', networkFee: '0.0000001' }],
    ['nothing', undefined],
  ])('answers 502 upstream_invalid_response when the provider returns %s, never a price', async (_label, garbage) => {
    rates.behaviour = async () => garbage as unknown as MarketQuote;
    const id = `garbage-${_label.replaceAll(' ', '-')}`;
    expectError(await post(id), 502, 'upstream_unavailable', 'upstream_invalid_response');
    await expectNoTransaction(id);
  });

  it('answers 502 provider_error when the provider declines, saying whether a retry can help', async () => {
    rates.behaviour = async () => {
      throw new ProviderError({ provider: 'scripted', kind: 'rejected', message: 'unknown pair' });
    };
    const body = expectError(await post('rejected-1'), 502, 'upstream_error', 'provider_error');
    expect(body.message).toBe('A provider we depend on declined this request; retrying it will not help.');
    await expectNoTransaction('rejected-1');
  });

  it('answers 500 internal_error when an adapter throws anything but a ProviderError (a bug is not an outage)', async () => {
    rates.behaviour = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'a')");
    };
    const result = await post('bug-1');
    const body = expectError(result, 500, 'internal_error', 'internal_error');
    expect(body.message).not.toContain('Cannot read');
    await expectNoTransaction('bug-1');
    expect(logs.lines.find((line) => line.reqId === body.request_id)).toMatchObject({ level: 50, msg: 'unhandled error' });
  });

  it('refuses a sell with 502 provider_error when no deposit address provider is configured, and keeps buy working', async () => {
    depositAddresses.configured = false;
    const body = expectError(await post('sell-1', { type: 'sell' }), 502, 'upstream_error', 'provider_error');
    expect(body.message).toBe('A provider we depend on declined this request; retrying it will not help.');
    await expectNoTransaction('sell-1');
    expect((await post('buy-1')).status).toBe(200);
  });

  it('prices again once the provider is back', async () => {
    expect((await post('back-1')).status).toBe(200);
  });
});

describe('live rates from Kraken (a local fake) through POST /widget/session', () => {
  let fake: FakeKraken;
  let server: TestServer;
  let partner: PartnerCredentials;
  const clock = new ManualClock(new Date('2026-11-21T12:00:00Z'));

  beforeAll(async () => {
    fake = await startFakeKraken();
    const rates = new KrakenRateProvider({
      settings: parseKrakenSettings({ baseUrl: fake.url, cacheTtlMs: 0, maxAgeMs: 0, timeoutMs: 500 }),
      clock,
    });
    server = await startTestServer({ platformOptions: { providers: { rates } } });
    partner = await server.createPartner();
  });
  afterAll(async () => {
    await server.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const post = (overrides: Record<string, unknown>) =>
    request(`${server.url}/widget/session`, { token: partner.client_token, body: sessionBody(overrides) });

  it('prices a buy from the ask and a sell from the bid', async () => {
    // 100 USDT at the ask 0.9215: 92.15 + network fee ⌈1 × 0.9215⌉ 0.93 + 1.5 % ⌈1.38225⌉ 1.39 + 0.50 = 94.97 EUR.
    const buy = await post({ amount: '100' });
    expect(buy.status).toBe(200);
    expect(buy.body).toMatchObject({ amount: '100', fiat_amount: '94.97', fiat_currency: 'EUR' });
    // 100 USDT at the bid 0.9213: ⌊92.13 × 0.985⌋ 90.74 − 0.50 = 90.24 EUR.
    const sell = await post({ amount: '100', type: 'sell' });
    expect(sell.status).toBe(200);
    expect(sell.body).toMatchObject({ amount: '100', fiat_amount: '90.24' });
    expect(fake.requests).toContain('USDTEUR');
  });

  it('answers 502 upstream_unavailable when Kraken is down, hangs or answers garbage, and creates nothing', async () => {
    const cases = [
      [{ kind: 'errors', errors: ['EService:Unavailable'] }, 'upstream_unavailable', 'upstream_unavailable'],
      [{ kind: 'hang' }, 'upstream_unavailable', 'upstream_unavailable'],
      [
        { kind: 'raw', status: 200, body: '{"error":[],"result":{"USDTEUR":{"a":["0.92e0"],"b":["0.92"]}}}' },
        'upstream_unavailable',
        'upstream_invalid_response',
      ],
      [{ kind: 'errors', errors: ['EQuery:Unknown asset pair'] }, 'upstream_error', 'provider_error'],
    ] as const;
    for (const [reply, error, code] of cases) {
      clock.advance(1_000);
      fake.reply('*', reply);
      const id = `kraken-${code}-${reply.kind}`;
      expectError(await post({ merchant_transaction_id: id }), 502, error, code);
      expect((await request(`${server.url}/widget/transactions/${id}`, { token: partner.client_token })).status).toBe(404);
    }
  });
});
