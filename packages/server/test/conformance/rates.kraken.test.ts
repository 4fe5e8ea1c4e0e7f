import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import type { QuoteRequest } from '../../src/modules/pricing/rate-provider.ts';
import { KrakenRateProvider } from '../../src/providers/kraken/kraken-rate-provider.ts';
import { type KrakenSettings, parseKrakenSettings } from '../../src/providers/kraken/settings.ts';
import { type FakeKraken, startFakeKraken } from '../fakes/fake-kraken.ts';
import { describeRateProvider } from './rates.ts';

/**
 * The Kraken adapter against a local fake of its Ticker endpoint: the shared rate scenarios, then
 * what is Kraken's own (ask/bid, caching, single flight, staleness, its error envelope, timeouts).
 */

let fake: FakeKraken;
beforeAll(async () => {
  fake = await startFakeKraken();
});
afterAll(() => fake.close());

const clock = new ManualClock(new Date('2026-11-21T12:00:00Z'));
const kraken = (settings: Partial<KrakenSettings> = {}) =>
  new KrakenRateProvider({ settings: parseKrakenSettings({ baseUrl: fake.url, ...settings }), clock });

describeRateProvider('kraken on a local fake', () => kraken());

const BTC_BUY: QuoteRequest = { asset: 'BTC', network: 'BITCOIN', fiat: 'EUR', side: 'buy' };
const USDT_BUY: QuoteRequest = { asset: 'USDT', network: 'TRC20', fiat: 'EUR', side: 'buy' };

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    (value) => new Error(`expected a ProviderError, got ${JSON.stringify(value)}`),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('Kraken rate adapter', () => {
  beforeEach(() => {
    fake.reset();
    fake.requests.length = 0;
  });

  it('prices a buy at the ask and a sell at the bid, as Kraken sends them, with the configured network fee', async () => {
    const rates = kraken();
    expect(await rates.quote(BTC_BUY)).toEqual({ rate: '88123.4', networkFee: '0.00005' });
    expect(await rates.quote({ ...BTC_BUY, side: 'sell' })).toEqual({ rate: '88120.1', networkFee: '0.00005' });
    expect(await rates.quote(USDT_BUY)).toEqual({ rate: '0.9215', networkFee: '1' });
    expect(fake.requests).toEqual(['XBTEUR', 'USDTEUR']);
  });

  it('reuses a pair’s ticker within the cache TTL, for both sides, and asks again after it', async () => {
    const rates = kraken({ cacheTtlMs: 10_000 });
    await rates.quote(BTC_BUY);
    clock.advance(9_999);
    await rates.quote({ ...BTC_BUY, side: 'sell' });
    expect(fake.requests).toEqual(['XBTEUR']);
    clock.advance(1);
    fake.reply('XBTEUR', { kind: 'ticker', ask: '90000.00', bid: '89990.00' });
    expect(await rates.quote(BTC_BUY)).toEqual({ rate: '90000', networkFee: '0.00005' });
    expect(fake.requests).toEqual(['XBTEUR', 'XBTEUR']);
  });

  it('lets concurrent quotes of one pair share a single request', async () => {
    const rates = kraken();
    fake.reply('XBTEUR', { kind: 'delayed', ms: 100, then: { kind: 'ticker', ask: '88000.5', bid: '87999.5' } });
    const quotes = await Promise.all(Array.from({ length: 8 }, (_, i) => rates.quote({ ...BTC_BUY, side: i % 2 === 0 ? 'buy' : 'sell' })));
    expect(fake.requests).toEqual(['XBTEUR']);
    expect(new Set(quotes.map((quote) => quote.rate))).toEqual(new Set(['88000.5', '87999.5']));
  });

  it('keeps quoting from a ticker younger than the staleness limit while Kraken fails, and refuses once it is older', async () => {
    const rates = kraken({ cacheTtlMs: 10_000, maxAgeMs: 60_000 });
    expect((await rates.quote(BTC_BUY)).rate).toBe('88123.4');
    fake.reply('*', { kind: 'errors', errors: ['EService:Unavailable'] });
    clock.advance(30_000);
    expect((await rates.quote(BTC_BUY)).rate).toBe('88123.4');
    clock.advance(29_999);
    expect((await rates.quote(BTC_BUY)).rate).toBe('88123.4');
    clock.advance(1);
    const error = await failure(rates.quote(BTC_BUY));
    expect(error).toMatchObject({ provider: 'kraken', kind: 'unavailable', retryable: true });
    expect(fake.requests.length).toBe(4);
  });

  it('never falls back to the cache when Kraken no longer knows the pair', async () => {
    const rates = kraken({ cacheTtlMs: 1_000 });
    await rates.quote(BTC_BUY);
    clock.advance(1_000);
    fake.reply('XBTEUR', { kind: 'errors', errors: ['EQuery:Unknown asset pair'] });
    expect(await failure(rates.quote(BTC_BUY))).toMatchObject({ kind: 'rejected', retryable: false });
  });

  it('maps Kraken’s error envelope, bad bodies and HTTP failures to the three kinds', async () => {
    const rates = kraken({ cacheTtlMs: 0, maxAgeMs: 0 });
    const cases: [Parameters<FakeKraken['reply']>[1], string, boolean][] = [
      [{ kind: 'errors', errors: ['EQuery:Unknown asset pair'] }, 'rejected', false],
      [{ kind: 'errors', errors: ['EService:Unavailable'] }, 'unavailable', true],
      [{ kind: 'errors', errors: ['EGeneral:Too many requests'] }, 'unavailable', true],
      [{ kind: 'raw', status: 200, body: '{"error":[],"result":{"XXBTZEUR":{"a":[88123.4],"b":["1"]}}}' }, 'invalid_response', true],
      [{ kind: 'raw', status: 200, body: '<html>maintenance</html>', contentType: 'text/html' }, 'invalid_response', true],
      [{ kind: 'raw', status: 503, body: '<html>503</html>', contentType: 'text/html' }, 'unavailable', true],
      [{ kind: 'raw', status: 429, body: '' }, 'unavailable', true],
      [{ kind: 'raw', status: 404, body: 'not found', contentType: 'text/plain' }, 'invalid_response', true],
    ];
    for (const [reply, kind, retryable] of cases) {
      fake.reply('*', reply);
      const error = await failure(rates.quote(BTC_BUY));
      expect({ kind: error.kind, retryable: error.retryable }, JSON.stringify(reply)).toEqual({ kind, retryable });
      expect(error.provider).toBe('kraken');
    }
  });

  it('gives up on a request that hangs past the timeout, and on a body that stalls', async () => {
    const rates = kraken({ timeoutMs: 200 });
    for (const reply of [{ kind: 'hang' }, { kind: 'stall-body' }] as const) {
      fake.reply('*', reply);
      const started = performance.now();
      const error = await failure(rates.quote({ ...USDT_BUY, fiat: reply.kind === 'hang' ? 'EUR' : 'USD' }));
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({
        provider: 'kraken',
        kind: 'unavailable',
        retryable: true,
        message: expect.stringContaining('no answer within 200 ms'),
      });
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(2_000);
    }
  });

  it('reports a refused connection as unavailable', async () => {
    const closed = await startFakeKraken();
    const url = closed.url;
    await closed.close();
    const rates = new KrakenRateProvider({ settings: parseKrakenSettings({ baseUrl: url }), clock });
    const error = await failure(rates.quote(BTC_BUY));
    expect(error).toMatchObject({ kind: 'unavailable', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('refuses an asset and network with no configured fee before asking Kraken', async () => {
    const rates = kraken({ networkFees: { BITCOIN: { BTC: '0.0001' } } });
    expect(await rates.quote(BTC_BUY)).toEqual({ rate: '88123.4', networkFee: '0.0001' });
    expect(await failure(rates.quote(USDT_BUY))).toMatchObject({
      kind: 'rejected',
      message: 'no network fee configured for USDT on TRC20',
    });
    expect(fake.requests).toEqual(['XBTEUR']);
  });
});

describe('Kraken settings', () => {
  it('has documented defaults: the real API, 3 s timeout, 10 s cache, 60 s staleness limit, the sandbox fee table', () => {
    const settings = parseKrakenSettings();
    expect(settings).toMatchObject({ baseUrl: 'https://api.kraken.com', timeoutMs: 3_000, cacheTtlMs: 10_000, maxAgeMs: 60_000 });
    expect(settings.networkFees.TRC20).toEqual({ USDT: '1' });
    expect(parseKrakenSettings({ baseUrl: 'http://127.0.0.1:9/', timeoutMs: undefined }).baseUrl).toBe('http://127.0.0.1:9');
  });

  it('refuses what it cannot use, naming every problem', () => {
    expect(() => parseKrakenSettings({ baseUrl: 'ftp://x', timeoutMs: 0 })).toThrow(/baseUrl.*timeoutMs|timeoutMs.*baseUrl/);
    expect(() => parseKrakenSettings({ networkFees: { TRC20: { BTC: '1' } } })).toThrow('/networkFees/TRC20');
    expect(() => parseKrakenSettings({ networkFees: { TRC20: { USDT: '1e3' } } })).toThrow('/networkFees/TRC20/USDT');
    expect(() => parseKrakenSettings({ cacheTtlMs: 120_000 })).toThrow('maxAgeMs must not be shorter than /cacheTtlMs');
  });
});
