import { ASSETS, type Asset, FIATS, type Fiat, type Network } from '../../lib/catalog.ts';
import { ApiError } from '../../lib/errors.ts';
import { formatAmount, parseAmount } from '../../lib/money.ts';
import type { Platform } from '../../platform.ts';
import { DEFAULT_LIMITS, type PartnerConfig } from '../partners/partner-config.ts';
import { checkMarketQuote } from '../pricing/check-market-quote.ts';
import { computeQuote, type Quote } from '../pricing/quote.ts';
import type { AmountGiven } from './session-terms.ts';

export interface PricedAmount extends Quote {
  /** Fiat per whole unit of crypto, as the rate provider gave it. */
  rate: string;
  /** The partner's limits for this fiat, decimal strings. */
  limits: { min: string; max: string };
}

/**
 * Prices an amount for a partner: the market rate from the rate adapter, the partner's fees, the
 * network fee, rounded in the platform's favour (pricing/quote.ts), and held to the partner's
 * limits. One function for every place an amount is priced (a new session, a quote, the amount a
 * user picks in the widget), so they always agree.
 *
 * @throws ApiError amount_out_of_range (naming `amountField`); ProviderError when the rates fail.
 */
export async function priceAmount(
  platform: Platform,
  request: {
    config: PartnerConfig;
    type: 'buy' | 'sell';
    asset: Asset;
    network: Network;
    fiat: Fiat;
    given: AmountGiven;
    /** The request field the amount came from, for the error's details. */
    amountField?: string;
  },
): Promise<PricedAmount> {
  const { rates } = platform.providers;
  const answer = await rates.quote({ asset: request.asset, network: request.network, fiat: request.fiat, side: request.type });
  const market = checkMarketQuote({ provider: rates.name, asset: request.asset, quote: answer });
  const fiatDecimals = FIATS[request.fiat].decimals;
  const quote = computeQuote({
    type: request.type,
    cryptoDecimals: ASSETS[request.asset].decimals,
    fiatDecimals,
    rate: market.rate,
    networkFee: market.networkFee,
    feePercent: request.config.fees.percent,
    feeFixedMinor: parseAmount(request.config.fees.fixed[request.fiat] ?? '0', fiatDecimals),
    given: request.given,
  });
  const limits = request.config.limits[request.fiat] ?? DEFAULT_LIMITS;
  const min = parseAmount(limits.min, fiatDecimals);
  const max = parseAmount(limits.max, fiatDecimals);
  if (quote.cryptoMinor <= 0n || quote.fiatMinor < min || quote.fiatMinor > max) {
    const field = request.amountField ?? ('fiat' in request.given ? 'fiat_amount' : 'amount');
    throw new ApiError('amount_out_of_range', `The amount must be between ${limits.min} and ${limits.max} ${request.fiat}.`, {
      details: [
        {
          field,
          issue: `worth ${formatAmount(quote.fiatMinor, fiatDecimals, fiatDecimals)} ${request.fiat}; allowed ${limits.min}–${limits.max}`,
        },
      ],
    });
  }
  return { ...quote, rate: market.rate, limits: { min: limits.min, max: limits.max } };
}
