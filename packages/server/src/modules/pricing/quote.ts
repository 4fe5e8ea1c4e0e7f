import { add, div, fromMinor, mul, parseAmount, parseRatio, type Ratio, ratio, sub, toMinor } from '../../lib/money.ts';

/**
 * Turns a requested amount into the amounts both sides see. Rounding always favours the platform:
 * what the user pays rounds up, what the user receives rounds down. Buy fees are added on top of
 * the crypto's value; sell fees come off the payout.
 *
 *  buy,  crypto given:  fiat = ⌈A·rate⌉ + ⌈NF·rate⌉ + ⌈A·rate·p⌉ + fixed
 *  buy,  fiat given:    A    = the largest amount whose buy price (the line above) is at most F
 *  sell, crypto given:  fiat = ⌊A·rate·(1 − p)⌋ − fixed
 *  sell, fiat given:    A    = ⌈((F + fixed) / (1 − p)) / rate⌉
 */
export interface QuoteInput {
  type: 'buy' | 'sell';
  cryptoDecimals: number;
  fiatDecimals: number;
  /** Fiat per whole unit of crypto, a decimal string. */
  rate: string;
  /** Network fee in whole units of crypto (buy only), a decimal string. */
  networkFee: string;
  /** Partner fee in percent, a decimal string ("1.5"). */
  feePercent: string;
  /** Partner fixed fee in fiat minor units. */
  feeFixedMinor: bigint;
  given: { crypto: bigint } | { fiat: bigint };
}

export interface Quote {
  cryptoMinor: bigint;
  fiatMinor: bigint;
  /** Partner fee (percent and fixed) in fiat minor units. */
  feeFiatMinor: bigint;
  /** Network fee charged on a buy, in fiat minor units; its crypto amount is networkFeeCryptoMinor. */
  networkFeeFiatMinor: bigint;
  networkFeeCryptoMinor: bigint;
}

export function computeQuote(input: QuoteInput): Quote {
  const rate = parseRatio(input.rate);
  const percent = div(parseRatio(input.feePercent), ratio(100n));
  const fixed = input.feeFixedMinor;
  const fiatValue = (cryptoMinor: bigint): Ratio => mul(fromMinor(cryptoMinor, input.cryptoDecimals), rate);
  const up = (value: Ratio) => toMinor(value, input.fiatDecimals, 'up');
  const down = (value: Ratio) => toMinor(value, input.fiatDecimals, 'down');

  if (input.type === 'buy') {
    const networkFeeCryptoMinor = parseAmount(input.networkFee, input.cryptoDecimals);
    const networkFeeFiatMinor = up(fiatValue(networkFeeCryptoMinor));
    const buyCost = (cryptoMinor: bigint): bigint => {
      const value = fiatValue(cryptoMinor);
      return up(value) + networkFeeFiatMinor + up(mul(value, percent)) + fixed;
    };
    const perFiat = (fiatMinor: bigint) => div(div(fromMinor(fiatMinor, input.fiatDecimals), add(ratio(1n), percent)), rate);
    let cryptoMinor: bigint;
    if ('crypto' in input.given) {
      cryptoMinor = input.given.crypto;
    } else {
      cryptoMinor = largestAffordable(input.given.fiat, buyCost, (fiatMinor) =>
        toMinor(perFiat(fiatMinor - fixed - networkFeeFiatMinor), input.cryptoDecimals, 'down'),
      );
    }
    const value = fiatValue(cryptoMinor);
    // With fiat given the user pays exactly what they asked for; rounding residue stays in the fee.
    const fiatMinor = 'fiat' in input.given ? input.given.fiat : buyCost(cryptoMinor);
    return {
      cryptoMinor,
      fiatMinor,
      feeFiatMinor: fiatMinor - up(value) - networkFeeFiatMinor,
      networkFeeFiatMinor,
      networkFeeCryptoMinor,
    };
  }

  const keep = sub(ratio(1n), percent);
  const cryptoMinor =
    'crypto' in input.given
      ? input.given.crypto
      : toMinor(div(div(fromMinor(input.given.fiat + fixed, input.fiatDecimals), keep), rate), input.cryptoDecimals, 'up');
  const value = fiatValue(cryptoMinor);
  const computedFiat = down(mul(value, keep)) - fixed;
  const fiatMinor = 'fiat' in input.given ? input.given.fiat : computedFiat;
  return { cryptoMinor, fiatMinor, feeFiatMinor: down(value) - fiatMinor, networkFeeFiatMinor: 0n, networkFeeCryptoMinor: 0n };
}

/**
 * The largest crypto amount whose forward price fits the budget. The price is monotonic in the amount
 * and each of its two rounded-up terms adds less than one fiat minor unit, so the exact inverse at
 * the budget is an upper bound (its successor never fits) and the exact inverse at the budget less two
 * minor units always fits; a binary search between them finds the answer (about 40 steps at 18 decimals).
 */
function largestAffordable(budget: bigint, cost: (cryptoMinor: bigint) => bigint, inverse: (fiatMinor: bigint) => bigint): bigint {
  let fits = inverse(budget - 2n);
  if (fits < 0n) fits = 0n;
  if (cost(fits) > budget) return 0n;
  let tooMuch = inverse(budget) + 1n;
  while (tooMuch - fits > 1n) {
    const middle = (fits + tooMuch) / 2n;
    if (cost(middle) <= budget) fits = middle;
    else tooMuch = middle;
  }
  return fits;
}
