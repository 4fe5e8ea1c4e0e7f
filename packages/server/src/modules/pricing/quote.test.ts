import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ASSETS, type Asset, FIATS, type Fiat } from '../../lib/catalog.ts';
import { computeQuote, type QuoteInput } from './quote.ts';

const usdtEur = { cryptoDecimals: 6, fiatDecimals: 2, rate: '0.92', networkFee: '1', feePercent: '1.5', feeFixedMinor: 50n } as const;

describe('computeQuote: buy', () => {
  it('adds value, network fee, percent fee and fixed fee, rounding each up', () => {
    // 100 USDT × 0.92 = 92.00; network 1 × 0.92 = 0.92; 1.5 % of 92.00 = 1.38; fixed 0.50 → 94.80
    const quote = computeQuote({ ...usdtEur, type: 'buy', given: { crypto: 100_000_000n } });
    expect(quote).toEqual({
      cryptoMinor: 100_000_000n,
      fiatMinor: 9480n,
      feeFiatMinor: 188n,
      networkFeeFiatMinor: 92n,
      networkFeeCryptoMinor: 1_000_000n,
    });
  });

  it('rounds a fractional cent up against the user', () => {
    // 1.234567 × 0.92 = 1.13580164 → 1.14; fee 1.5 % of that = 0.01703702… → 0.02
    const quote = computeQuote({ ...usdtEur, feeFixedMinor: 0n, type: 'buy', given: { crypto: 1_234_567n } });
    expect(quote.fiatMinor).toBe(114n + 92n + 2n);
  });

  it('with fiat given, charges exactly that fiat and rounds the crypto down', () => {
    const quote = computeQuote({ ...usdtEur, type: 'buy', given: { fiat: 10_000n } });
    // (100 − 0.50 − 0.92) / 1.015 / 0.92 = 105.5686442… USDT at most; the largest amount whose rounded-up
    // price fits: 105.565217 × 0.92 = 97.11999964 → 97.12, + 0.92 + ⌈1.4567999…⌉ 1.46 + 0.50 = 100.00
    expect(quote.fiatMinor).toBe(10_000n);
    expect(quote.cryptoMinor).toBe(105_565_217n);
    // one more micro-USDT would cost 100.01
    expect(computeQuote({ ...usdtEur, type: 'buy', given: { crypto: 105_565_218n } }).fiatMinor).toBe(10_001n);
    // the parts add up to what the user pays
    const valueCents = 9712n; // ⌈105.565217 × 0.92⌉ = ⌈97.11999964⌉
    expect(valueCents + quote.networkFeeFiatMinor + quote.feeFiatMinor).toBe(10_000n);
    // and the crypto never costs more than the fiat paid
    const forward = computeQuote({ ...usdtEur, type: 'buy', given: { crypto: quote.cryptoMinor } });
    expect(forward.fiatMinor).toBeLessThanOrEqual(10_000n);
  });

  it('handles 18 decimals without losing precision', () => {
    const quote = computeQuote({
      type: 'buy',
      cryptoDecimals: 18,
      fiatDecimals: 2,
      rate: '3100',
      networkFee: '0.0005',
      feePercent: '0',
      feeFixedMinor: 0n,
      given: { crypto: 1n },
    });
    // one wei is worth far less than a cent; the user still pays a whole cent for it
    expect(quote.fiatMinor).toBe(1n + 155n);
  });
});

describe('computeQuote: sell', () => {
  it('takes fees off the payout and rounds down', () => {
    // 100 × 0.92 = 92.00; keep 98.5 % = 90.62; minus 0.50 = 90.12
    const quote = computeQuote({ ...usdtEur, type: 'sell', given: { crypto: 100_000_000n } });
    expect(quote.fiatMinor).toBe(9012n);
    expect(quote.feeFiatMinor).toBe(188n);
    expect(quote.networkFeeFiatMinor).toBe(0n);
  });

  it('with fiat given, asks for enough crypto (rounded up) to pay it', () => {
    const input: QuoteInput = { ...usdtEur, type: 'sell', given: { fiat: 9012n } };
    const quote = computeQuote(input);
    expect(quote.fiatMinor).toBe(9012n);
    const back = computeQuote({ ...usdtEur, type: 'sell', given: { crypto: quote.cryptoMinor } });
    expect(back.fiatMinor).toBeGreaterThanOrEqual(9012n);
  });
});

describe('computeQuote: buy with a fiat amount, over random inputs', () => {
  const assets = Object.keys(ASSETS) as Asset[];
  const fiats = Object.keys(FIATS) as Fiat[];
  const decimal = (maxWhole: number, maxPlaces: number) =>
    fc
      .tuple(fc.integer({ min: 0, max: maxWhole }), fc.integer({ min: 0, max: 10 ** maxPlaces - 1 }))
      .map(([whole, part]) => `${whole}.${String(part).padStart(maxPlaces, '0')}`);

  it('gives the largest crypto amount whose price fits the fiat paid', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...assets),
        fc.constantFrom(...fiats),
        decimal(100_000, 4).filter((rate) => Number(rate) > 0),
        decimal(2, 6),
        decimal(9, 2),
        fc.bigInt({ min: 0n, max: 500n }),
        fc.bigInt({ min: 1n, max: 10_000_000n }),
        (asset, fiat, rate, networkFee, feePercent, feeFixedMinor, budget) => {
          const base = {
            type: 'buy' as const,
            cryptoDecimals: ASSETS[asset].decimals,
            fiatDecimals: FIATS[fiat].decimals,
            rate,
            networkFee,
            feePercent,
            feeFixedMinor,
          };
          const quote = computeQuote({ ...base, given: { fiat: budget } });
          expect(quote.fiatMinor).toBe(budget);
          expect(quote.cryptoMinor).toBeGreaterThanOrEqual(0n);
          if (quote.cryptoMinor > 0n)
            expect(computeQuote({ ...base, given: { crypto: quote.cryptoMinor } }).fiatMinor).toBeLessThanOrEqual(budget);
          expect(computeQuote({ ...base, given: { crypto: quote.cryptoMinor + 1n } }).fiatMinor).toBeGreaterThan(budget);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('for a sell with a fiat amount, asks for the smallest crypto amount that pays it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...assets),
        fc.constantFrom(...fiats),
        decimal(100_000, 4).filter((rate) => Number(rate) > 0),
        decimal(9, 2),
        fc.bigInt({ min: 0n, max: 500n }),
        fc.bigInt({ min: 1n, max: 10_000_000n }),
        (asset, fiat, rate, feePercent, feeFixedMinor, payout) => {
          const base = {
            type: 'sell' as const,
            cryptoDecimals: ASSETS[asset].decimals,
            fiatDecimals: FIATS[fiat].decimals,
            rate,
            networkFee: '0',
            feePercent,
            feeFixedMinor,
          };
          const quote = computeQuote({ ...base, given: { fiat: payout } });
          expect(computeQuote({ ...base, given: { crypto: quote.cryptoMinor } }).fiatMinor).toBeGreaterThanOrEqual(payout);
          expect(computeQuote({ ...base, given: { crypto: quote.cryptoMinor - 1n } }).fiatMinor).toBeLessThan(payout);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
