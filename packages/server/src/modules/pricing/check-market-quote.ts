import { ASSETS, type Asset } from '../../lib/catalog.ts';
import { parseAmount } from '../../lib/money.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { MarketQuote } from './rate-provider.ts';

/** A plain decimal: no sign, no exponent, no leading zeros (the format lib/money.ts parses). */
const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

/**
 * What an adapter returned, checked before any money is computed from it: a malformed or zero rate
 * must answer 502 upstream_invalid_response, never become a price (or a 500 deep in the quote maths).
 */
export function checkMarketQuote(options: { provider: string; asset: Asset; quote: unknown }): MarketQuote {
  const { provider, asset, quote } = options;
  const invalid = (issue: string) =>
    new ProviderError({ provider, kind: 'invalid_response', message: `market quote for ${asset}: ${issue}` });
  if (typeof quote !== 'object' || quote === null) throw invalid('not an object');
  const { rate, networkFee } = quote as Record<string, unknown>;
  if (typeof rate !== 'string' || !DECIMAL.test(rate) || !/[1-9]/.test(rate)) {
    throw invalid(`rate ${JSON.stringify(rate)} is not a positive decimal string`);
  }
  if (typeof networkFee !== 'string' || !DECIMAL.test(networkFee)) {
    throw invalid(`networkFee ${JSON.stringify(networkFee)} is not a decimal string`);
  }
  try {
    parseAmount(networkFee, ASSETS[asset].decimals);
  } catch {
    throw invalid(`networkFee ${networkFee} has more than ${ASSETS[asset].decimals} decimal places`);
  }
  return { rate, networkFee };
}
