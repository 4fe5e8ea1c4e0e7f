import { beforeAll, describe, expect, it } from 'vitest';
import { ASSETS, type Asset, FIATS, type Fiat, type Network } from '../../src/lib/catalog.ts';
import { parseAmount, parseRatio } from '../../src/lib/money.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import { computeQuote } from '../../src/modules/pricing/quote.ts';
import type { MarketQuote, QuoteRequest, QuoteSide, RateProvider } from '../../src/modules/pricing/rate-provider.ts';

/**
 * The scenarios every RateProvider passes, whatever is behind it (a table, a live market on a local
 * fake). An adapter's test file calls describeRateProvider once; what is particular to one adapter
 * goes in `quirks`, not in a copy of the suite.
 */
export interface RateProviderQuirks {
  /** Requests this adapter is known not to price: it must throw ProviderError for them (never answer). */
  unsupported?: (request: QuoteRequest) => boolean;
}

/** Digits, an optional fraction; no sign, no exponent, no leading zeros, no spaces. */
const PLAIN_DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;
const KINDS = ['unavailable', 'invalid_response', 'rejected'];

/** Every (asset, network) the catalog enables, in every fiat, on both sides. */
export function everyQuoteRequest(): QuoteRequest[] {
  const requests: QuoteRequest[] = [];
  for (const [asset, { networks }] of Object.entries(ASSETS) as [Asset, { networks: readonly Network[] }][]) {
    for (const network of networks) {
      for (const fiat of Object.keys(FIATS) as Fiat[]) {
        for (const side of ['buy', 'sell'] as QuoteSide[]) requests.push({ asset, network, fiat, side });
      }
    }
  }
  return requests;
}

const describeRequest = ({ asset, network, fiat, side }: QuoteRequest) => `${side} ${asset} on ${network} in ${fiat}`;

export function describeRateProvider(
  label: string,
  make: () => RateProvider | Promise<RateProvider>,
  quirks: RateProviderQuirks = {},
): void {
  describe(`RateProvider conformance: ${label}`, () => {
    let provider: RateProvider;
    /** Every answer of the catalog sweep, so later scenarios reuse it instead of asking again. */
    const answers = new Map<string, MarketQuote | ProviderError>();

    beforeAll(async () => {
      provider = await make();
      for (const request of everyQuoteRequest()) {
        answers.set(describeRequest(request), await provider.quote(request).catch((error: unknown) => error as ProviderError));
      }
    });

    it('has a short name for logs and errors', () => {
      expect(provider.name).toMatch(/^[a-z][a-z0-9-]{1,30}$/);
    });

    it('answers every enabled (asset, network, fiat) on both sides, or throws a ProviderError naming itself', () => {
      for (const request of everyQuoteRequest()) {
        const answer = answers.get(describeRequest(request));
        const what = `${label}: ${describeRequest(request)}`;
        if (answer instanceof Error) {
          expect(answer, `${what} threw ${String(answer)}`).toBeInstanceOf(ProviderError);
          const error = answer as ProviderError;
          expect(error.provider, what).toBe(provider.name);
          expect(KINDS, what).toContain(error.kind);
          expect(typeof error.retryable, what).toBe('boolean');
          expect(error.message, what).not.toBe('');
          continue;
        }
        expect(quirks.unsupported?.(request) ?? false, `${what} should have been refused`).toBe(false);
        expectMarketQuote(answer!, request.asset, what);
      }
    });

    it('prices most of the catalog (an adapter that refuses everything is broken, not cautious)', () => {
      const priced = [...answers.values()].filter((answer) => !(answer instanceof Error));
      expect(priced.length).toBeGreaterThan(answers.size / 2);
      for (const request of everyQuoteRequest().filter((request) => !(quirks.unsupported?.(request) ?? false))) {
        const answer = answers.get(describeRequest(request));
        expect(answer instanceof Error ? `${describeRequest(request)}: ${answer.message}` : 'priced').toBe('priced');
      }
    });

    it('never prices a buy below the sell of the same market (no quote across the spread)', () => {
      for (const request of everyQuoteRequest().filter((request) => request.side === 'buy')) {
        const buy = answers.get(describeRequest(request));
        const sell = answers.get(describeRequest({ ...request, side: 'sell' }));
        if (buy instanceof Error || sell instanceof Error || !buy || !sell) continue;
        const ask = parseRatio(buy.rate);
        const bid = parseRatio(sell.rate);
        expect(ask.num * bid.den >= bid.num * ask.den, `${describeRequest(request)}: buy ${buy.rate} < sell ${sell.rate}`).toBe(true);
      }
    });

    it('refuses an asset on a network it does not travel on with a ProviderError', async () => {
      const error = await provider.quote({ asset: 'ETH', network: 'TRC20', fiat: 'EUR', side: 'buy' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind).toBe('rejected');
    });

    it('answers a repeated request alike', async () => {
      const request: QuoteRequest = { asset: 'USDT', network: 'TRC20', fiat: 'EUR', side: 'buy' };
      expect(await provider.quote(request)).toEqual(await provider.quote(request));
    });

    it('gives figures the quote maths takes as they are (100 units bought and sold)', () => {
      for (const request of everyQuoteRequest()) {
        const answer = answers.get(describeRequest(request));
        if (!answer || answer instanceof Error) continue;
        const cryptoDecimals = ASSETS[request.asset].decimals;
        const quote = computeQuote({
          type: request.side,
          cryptoDecimals,
          fiatDecimals: FIATS[request.fiat].decimals,
          rate: answer.rate,
          networkFee: answer.networkFee,
          feePercent: '1.5',
          feeFixedMinor: 50n,
          given: { crypto: parseAmount('100', cryptoDecimals) },
        });
        expect(quote.fiatMinor > 0n, describeRequest(request)).toBe(true);
      }
    });
  });
}

function expectMarketQuote(answer: MarketQuote, asset: Asset, what: string): void {
  expect(Object.keys(answer).sort(), what).toEqual(['networkFee', 'rate']);
  expect(answer.rate, what).toMatch(PLAIN_DECIMAL);
  expect(answer.rate, `${what}: rate must be positive`).toMatch(/[1-9]/);
  expect(answer.networkFee, what).toMatch(PLAIN_DECIMAL);
  expect(() => parseAmount(answer.networkFee, ASSETS[asset].decimals), `${what}: fee finer than the asset's decimals`).not.toThrow();
}
