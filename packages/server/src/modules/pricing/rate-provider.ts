import type { Asset, Fiat, Network } from '../../lib/catalog.ts';

/** Market inputs for one quote. Decimal strings, exact. */
export interface MarketQuote {
  /** Fiat per one whole unit of the asset, e.g. "0.92" EUR per USDT. */
  rate: string;
  /** What moving the asset on this network costs, in whole units of the asset, e.g. "1" USDT on TRC20. */
  networkFee: string;
}

/** Thrown by a rate provider that cannot answer; the API turns it into 502 provider_error. */
export class RateUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RateUnavailableError';
  }
}

export interface RateProvider {
  readonly name: string;
  quote(asset: Asset, network: Network, fiat: Fiat): Promise<MarketQuote>;
}

/**
 * The sandbox rate table. Fixed so tests and demos can predict every figure; documented in
 * docs/sandbox.md. A deployment replaces it with a live provider behind the same interface.
 */
export const SANDBOX_RATES: Record<Asset, Record<Fiat, string>> = {
  USDT: { EUR: '0.92', USD: '1.00', GBP: '0.79' },
  USDC: { EUR: '0.92', USD: '1.00', GBP: '0.79' },
  BTC: { EUR: '88000', USD: '95000', GBP: '75000' },
  ETH: { EUR: '3100', USD: '3350', GBP: '2650' },
  SOL: { EUR: '190', USD: '205', GBP: '162' },
};

export const SANDBOX_NETWORK_FEES: Record<Network, Partial<Record<Asset, string>>> = {
  TRC20: { USDT: '1' },
  ERC20: { USDT: '3', USDC: '3', ETH: '0.0005' },
  BEP20: { USDT: '0.3', USDC: '0.3' },
  POLYGON: { USDT: '0.1', USDC: '0.1' },
  BITCOIN: { BTC: '0.00005' },
  SOL: { USDT: '0.5', USDC: '0.5', SOL: '0.001' },
};

export class SandboxRateProvider implements RateProvider {
  readonly name = 'sandbox';
  async quote(asset: Asset, network: Network, fiat: Fiat): Promise<MarketQuote> {
    const rate = SANDBOX_RATES[asset][fiat];
    const networkFee = SANDBOX_NETWORK_FEES[network][asset];
    if (!networkFee) throw new RateUnavailableError(`no sandbox network fee for ${asset} on ${network}`);
    return { rate, networkFee };
  }
}
