import type { Asset, Fiat, Network } from '../../lib/catalog.ts';

/**
 * Where prices come from. The pricing module owns this interface; adapters implement it (the sandbox
 * table beside it, live vendors under src/providers/), and src/providers.ts picks one from configuration.
 * An adapter that cannot answer throws ProviderError (lib/provider-error.ts), never anything else.
 */
export interface RateProvider {
  /** A short stable id ("sandbox", "kraken"): in logs and in ProviderError.provider. */
  readonly name: string;

  /**
   * The market inputs for one quote: how much fiat one whole unit of the asset is worth on this side
   * of the trade, and what moving the asset on the network costs.
   *
   * @param request.side `buy` prices what the user pays (a live market's ask), `sell` what the user
   *   receives (its bid).
   * @returns Decimal strings with no exponent and no sign; `rate` is positive.
   * @throws ProviderError `unavailable` when the source cannot be reached or answers too late,
   *   `invalid_response` when its answer is malformed, `rejected` when it cannot price this
   *   (asset, network, fiat), e.g. a network with no fee configured.
   *
   * @example
   * const market = await rates.quote({ asset: 'USDT', network: 'TRC20', fiat: 'EUR', side: 'buy' });
   * // { rate: '0.92', networkFee: '1' }: 100 USDT cost 92.00 EUR plus 0.92 EUR to send them
   */
  quote(request: QuoteRequest): Promise<MarketQuote>;
}

export type QuoteSide = 'buy' | 'sell';

export interface QuoteRequest {
  asset: Asset;
  network: Network;
  fiat: Fiat;
  side: QuoteSide;
}

/** Market inputs for one quote. Decimal strings, exact. */
export interface MarketQuote {
  /** Fiat per one whole unit of the asset, e.g. "0.92" EUR per USDT. */
  rate: string;
  /** What moving the asset on this network costs, in whole units of the asset, e.g. "1" USDT on TRC20. */
  networkFee: string;
}
