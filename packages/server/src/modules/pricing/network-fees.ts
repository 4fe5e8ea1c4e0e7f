import { ASSETS, type Asset, assetTravelsOn, isAsset, isNetwork, NETWORKS, type Network } from '../../lib/catalog.ts';
import { AmountError, parseAmount } from '../../lib/money.ts';

/** What sending an asset on a network costs, in whole units of the asset, as decimal strings. */
export type NetworkFeeTable = Partial<Record<Network, Partial<Record<Asset, string>>>>;

/**
 * The default fees, charged on a buy: the sandbox's documented table (docs/sandbox.md), and the
 * starting point of a live rate provider, whose operator overrides entries with NETWORK_FEES.
 */
export const DEFAULT_NETWORK_FEES: NetworkFeeTable = {
  TRC20: { USDT: '1' },
  ERC20: { USDT: '3', USDC: '3', ETH: '0.0005' },
  BEP20: { USDT: '0.3', USDC: '0.3' },
  POLYGON: { USDT: '0.1', USDC: '0.1' },
  BITCOIN: { BTC: '0.00005' },
  SOL: { USDT: '0.5', USDC: '0.5', SOL: '0.001' },
};

/**
 * Reads NETWORK_FEES (JSON such as `{"TRC20":{"USDT":"1.5"}}`) and lays it over `base` entry by entry.
 * Every network, asset and amount is checked here, so a typo stops the start instead of a quote.
 */
export function parseNetworkFees(json: string, base: NetworkFeeTable = DEFAULT_NETWORK_FEES): NetworkFeeTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('must be JSON such as {"TRC20":{"USDT":"1.5"}}');
  }
  if (!isPlainObject(parsed)) throw new Error('must be a JSON object of networks, e.g. {"TRC20":{"USDT":"1.5"}}');
  const merged: NetworkFeeTable = Object.fromEntries(Object.entries(base).map(([network, fees]) => [network, { ...fees }]));
  for (const [network, fees] of Object.entries(parsed)) {
    if (!isNetwork(network)) throw new Error(`unknown network "${network}" (known: ${Object.keys(NETWORKS).join(', ')})`);
    if (!isPlainObject(fees)) throw new Error(`${network} must map assets to fees, e.g. {"USDT":"1.5"}`);
    for (const [asset, fee] of Object.entries(fees)) {
      if (!isAsset(asset) || !assetTravelsOn(asset, network)) throw new Error(`${asset} does not travel on ${network}`);
      if (typeof fee !== 'string') throw new Error(`${network}.${asset} must be a decimal string such as "1.5"`);
      try {
        parseAmount(fee, ASSETS[asset].decimals);
      } catch (error) {
        if (error instanceof AmountError) throw new Error(`${network}.${asset} ${error.issue}`);
        throw error;
      }
      (merged[network] ??= {})[asset] = fee;
    }
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
