import type { AddressFormat } from './address.ts';

/**
 * What the platform can move: crypto assets with their decimals, the networks each travels on
 * (with the address format of that network), and the fiat currencies with their ISO 4217 minor units.
 */
export const NETWORKS = {
  TRC20: { addressFormat: 'tron' },
  ERC20: { addressFormat: 'evm' },
  BEP20: { addressFormat: 'evm' },
  POLYGON: { addressFormat: 'evm' },
  BITCOIN: { addressFormat: 'bitcoin' },
  SOL: { addressFormat: 'solana' },
} as const satisfies Record<string, { addressFormat: AddressFormat }>;

export type Network = keyof typeof NETWORKS;

export const ASSETS = {
  USDT: { decimals: 6, networks: ['TRC20', 'ERC20', 'BEP20', 'POLYGON', 'SOL'] },
  USDC: { decimals: 6, networks: ['ERC20', 'BEP20', 'POLYGON', 'SOL'] },
  BTC: { decimals: 8, networks: ['BITCOIN'] },
  ETH: { decimals: 18, networks: ['ERC20'] },
  SOL: { decimals: 9, networks: ['SOL'] },
} as const satisfies Record<string, { decimals: number; networks: readonly Network[] }>;

export type Asset = keyof typeof ASSETS;

export const FIATS = {
  EUR: { decimals: 2 },
  USD: { decimals: 2 },
  GBP: { decimals: 2 },
} as const satisfies Record<string, { decimals: number }>;

export type Fiat = keyof typeof FIATS;

export function isAsset(value: string): value is Asset {
  return Object.hasOwn(ASSETS, value);
}

export function isNetwork(value: string): value is Network {
  return Object.hasOwn(NETWORKS, value);
}

export function isFiat(value: string): value is Fiat {
  return Object.hasOwn(FIATS, value);
}

export function assetTravelsOn(asset: Asset, network: Network): boolean {
  return (ASSETS[asset].networks as readonly Network[]).includes(network);
}
