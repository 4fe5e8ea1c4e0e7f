import type { Asset, Fiat } from '../../lib/catalog.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import { DEFAULT_NETWORK_FEES, type NetworkFeeTable } from './network-fees.ts';
import type { MarketQuote, QuoteRequest, RateProvider } from './rate-provider.ts';

/**
 * The sandbox rate table. Fixed so tests and demos can predict every figure; documented in
 * docs/sandbox.md. One rate for both sides (a live market's ask and bid differ; this table does not).
 */
export const SANDBOX_RATES: Record<Asset, Record<Fiat, string>> = {
  USDT: { EUR: '0.92', USD: '1.00', GBP: '0.79' },
  USDC: { EUR: '0.92', USD: '1.00', GBP: '0.79' },
  BTC: { EUR: '88000', USD: '95000', GBP: '75000' },
  ETH: { EUR: '3100', USD: '3350', GBP: '2650' },
  SOL: { EUR: '190', USD: '205', GBP: '162' },
};

export class SandboxRateProvider implements RateProvider {
  readonly name = 'sandbox';
  private readonly networkFees: NetworkFeeTable;

  constructor(options: { networkFees?: NetworkFeeTable } = {}) {
    this.networkFees = options.networkFees ?? DEFAULT_NETWORK_FEES;
  }

  async quote({ asset, network, fiat }: QuoteRequest): Promise<MarketQuote> {
    const rate = SANDBOX_RATES[asset]?.[fiat];
    if (!rate) throw new ProviderError({ provider: this.name, kind: 'rejected', message: `no sandbox rate for ${asset} in ${fiat}` });
    const networkFee = this.networkFees[network]?.[asset];
    if (!networkFee)
      throw new ProviderError({ provider: this.name, kind: 'rejected', message: `no network fee for ${asset} on ${network}` });
    return { rate, networkFee };
  }
}
