import { describe, expect, it } from 'vitest';
import { computeQuote, type QuoteInput } from './quote.ts';

const usdtEur = { cryptoDecimals: 6, fiatDecimals: 2, rate: '0.92', networkFee: '1', feePercent: '1.5', feeFixedMinor: 50n } as const;

describe('computeQuote: buy', () => {
  it('adds value, network fee, percent fee and fixed fee, rounding each up', () => {
    // 100 USDT × 0.92 = 92.00; network 1 × 0.92 = 0.92; 1.5 % of 92.00 = 1.38; fixed 0.50 → 94.80
    const quote = computeQuote({ ...usdtEur, type: 'buy', given: { crypto: 100_000_000n } });
    expect(quote).toEqual({ cryptoMinor: 100_000_000n, fiatMinor: 9480n, feeFiatMinor: 188n, networkFeeFiatMinor: 92n, networkFeeCryptoMinor: 1_000_000n });
  });

  it('rounds a fractional cent up against the user', () => {
    // 1.234567 × 0.92 = 1.13580164 → 1.14; fee 1.5 % of that = 0.01703702… → 0.02
    const quote = computeQuote({ ...usdtEur, feeFixedMinor: 0n, type: 'buy', given: { crypto: 1_234_567n } });
    expect(quote.fiatMinor).toBe(114n + 92n + 2n);
  });

  it('with fiat given, charges exactly that fiat and rounds the crypto down', () => {
    const quote = computeQuote({ ...usdtEur, type: 'buy', given: { fiat: 10_000n } });
    // (100 − 0.50 − 0.92) / 1.015 / 0.92 = 105.5686442… USDT, then stepped down until buying it forward fits in 100.00
    expect(quote.fiatMinor).toBe(10_000n);
    expect(quote.cryptoMinor).toBe(105_557_935n);
    // the parts add up to what the user pays
    const valueCents = 9712n; // ⌈105.557935 × 0.92⌉ = ⌈97.1132002⌉
    expect(valueCents + quote.networkFeeFiatMinor + quote.feeFiatMinor).toBe(10_000n);
    // and the crypto never costs more than the fiat paid
    const forward = computeQuote({ ...usdtEur, type: 'buy', given: { crypto: quote.cryptoMinor } });
    expect(forward.fiatMinor).toBeLessThanOrEqual(10_000n);
  });

  it('handles 18 decimals without losing precision', () => {
    const quote = computeQuote({
      type: 'buy', cryptoDecimals: 18, fiatDecimals: 2, rate: '3100', networkFee: '0.0005', feePercent: '0', feeFixedMinor: 0n,
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
