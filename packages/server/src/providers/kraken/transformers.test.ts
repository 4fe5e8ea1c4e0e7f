import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../lib/provider-error.ts';
import { classifyErrors, krakenPair, toMarketQuote, toTicker } from './transformers.ts';

/** The documented Ticker answers, as recorded in fixtures/. */
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8'));

function thrown(run: () => unknown): ProviderError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError, nothing was thrown');
}

describe('krakenPair', () => {
  it('names bitcoin XBT and keeps the other tickers', () => {
    expect(krakenPair('BTC', 'EUR')).toBe('XBTEUR');
    expect(krakenPair('USDT', 'USD')).toBe('USDTUSD');
    expect(krakenPair('ETH', 'GBP')).toBe('ETHGBP');
    expect(krakenPair('SOL', 'EUR')).toBe('SOLEUR');
    expect(krakenPair('USDC', 'GBP')).toBe('USDCGBP');
  });
});

describe('toTicker', () => {
  it('reads the best ask and bid of a success, under Kraken’s own key, with trailing zeros trimmed', () => {
    expect(toTicker(fixture('ticker-xbteur'), 'XBTEUR')).toEqual({ ask: '88123.4', bid: '88120.1' });
    expect(toTicker(fixture('ticker-usdteur'), 'USDTEUR')).toEqual({ ask: '0.9215', bid: '0.9213' });
  });

  it('turns an unknown pair into rejected, not retryable', () => {
    const error = thrown(() => toTicker(fixture('ticker-unknown-pair'), 'XBTEUR'));
    expect(error).toMatchObject({ provider: 'kraken', kind: 'rejected', retryable: false });
    expect(error.message).toContain('EQuery:Unknown asset pair');
  });

  it('turns an outage and rate limiting into unavailable, retryable', () => {
    expect(thrown(() => toTicker(fixture('ticker-service-unavailable'), 'XBTEUR'))).toMatchObject({ kind: 'unavailable', retryable: true });
    expect(thrown(() => toTicker(fixture('ticker-too-many-requests'), 'XBTEUR'))).toMatchObject({ kind: 'unavailable', retryable: true });
  });

  it('turns a price that is not a decimal string into invalid_response', () => {
    const error = thrown(() => toTicker(fixture('ticker-malformed'), 'XBTEUR'));
    expect(error).toMatchObject({ provider: 'kraken', kind: 'invalid_response', retryable: true });
  });

  it.each([
    ['not an object', 'OK'],
    ['no error array', { result: {} }],
    ['an error array of non-strings', { error: [42], result: {} }],
    ['no result', { error: [] }],
    ['an empty result', { error: [], result: {} }],
    ['two pairs, neither the one asked for', { error: [], result: { A: {}, B: {} } }],
    ['no ask', { error: [], result: { XXBTZEUR: { b: ['1', '1', '1'] } } }],
    ['an empty ask', { error: [], result: { XXBTZEUR: { a: [], b: ['1', '1', '1'] } } }],
    ['an exponent', { error: [], result: { XXBTZEUR: { a: ['1e5', '1', '1'], b: ['1', '1', '1'] } } }],
    ['a sign', { error: [], result: { XXBTZEUR: { a: ['-1', '1', '1'], b: ['1', '1', '1'] } } }],
    ['a zero price', { error: [], result: { XXBTZEUR: { a: ['0.00000', '1', '1'], b: ['1', '1', '1'] } } }],
    ['leading zeros', { error: [], result: { XXBTZEUR: { a: ['0088000', '1', '1'], b: ['1', '1', '1'] } } }],
    ['spaces', { error: [], result: { XXBTZEUR: { a: [' 88000', '1', '1'], b: ['1', '1', '1'] } } }],
    ['a number instead of a string', { error: [], result: { XXBTZEUR: { a: ['1', '1', '1'], b: [88000, '1', '1'] } } }],
  ])('turns %s into invalid_response', (_label, payload) => {
    expect(thrown(() => toTicker(payload, 'XBTEUR')).kind).toBe('invalid_response');
  });

  it('ignores warnings that come with a result', () => {
    const payload = { error: ['WGeneral:Deprecated'], result: { XXBTZEUR: { a: ['2', '1', '1'], b: ['1', '1', '1'] } } };
    expect(toTicker(payload, 'XBTEUR')).toEqual({ ask: '2', bid: '1' });
  });

  it('picks the pair asked for when Kraken answers with its altname among several', () => {
    const payload = {
      error: [],
      result: { XBTEUR: { a: ['2', '1', '1'], b: ['1', '1', '1'] }, XBTUSD: { a: ['3', '1', '1'], b: ['2', '1', '1'] } },
    };
    expect(toTicker(payload, 'XBTEUR')).toEqual({ ask: '2', bid: '1' });
  });
});

describe('classifyErrors', () => {
  it('lets outages pass and treats every other error as a firm no', () => {
    expect(classifyErrors(['EService:Busy'])).toEqual({ kind: 'unavailable', retryable: true });
    expect(classifyErrors(['EAPI:Rate limit exceeded'])).toEqual({ kind: 'unavailable', retryable: true });
    expect(classifyErrors(['EGeneral:Internal error'])).toEqual({ kind: 'unavailable', retryable: true });
    expect(classifyErrors(['EGeneral:Invalid arguments'])).toEqual({ kind: 'rejected', retryable: false });
    expect(classifyErrors(['EQuery:Unknown asset pair', 'EService:Unavailable'])).toEqual({ kind: 'unavailable', retryable: true });
  });
});

describe('toMarketQuote', () => {
  const ticker = { ask: '88123.4', bid: '88120.1' };
  it('prices a buy at the ask and a sell at the bid', () => {
    expect(toMarketQuote({ ticker, side: 'buy', networkFee: '0.00005' })).toEqual({ rate: '88123.4', networkFee: '0.00005' });
    expect(toMarketQuote({ ticker, side: 'sell', networkFee: '0.00005' })).toEqual({ rate: '88120.1', networkFee: '0.00005' });
  });
});
