import ipaddr from 'ipaddr.js';
import { validateAddress } from '../../lib/address.ts';
import {
  ASSETS,
  type Asset,
  assetTravelsOn,
  FIATS,
  type Fiat,
  isAsset,
  isFiat,
  isNetwork,
  NETWORKS,
  type Network,
} from '../../lib/catalog.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import { AmountError, parseAmount, parseRatio } from '../../lib/money.ts';
import { PRINTABLE_TEXT } from '../../lib/route-schemas.ts';
import type { PartnerInput } from './partner-schemas.ts';

export type { PartnerInput };

import { normalizeOrigin } from './policy.ts';

/** A partner's policy as stored: everything the session rules need, already validated. */
export interface PartnerConfig {
  partner_type: string;
  ip_allowlist: string[];
  assets: PartnerAsset[];
  fiat_currencies: Fiat[];
  default_fiat: Fiat;
  sell: { enabled: boolean; fiat_currencies: Fiat[] };
  widget: { type: 'buy' | 'sell'; lang: string; theme: 'light' | 'dark'; redirect_url: string | null };
  /** percent: a decimal string ("1.5" = 1.5 %); fixed: per fiat, in that fiat. */
  fees: { percent: string; fixed: Partial<Record<Fiat, string>> };
  /** Fiat amount bounds per fiat currency; a currency without an entry uses DEFAULT_LIMITS. */
  limits: Partial<Record<Fiat, { min: string; max: string }>>;
  allow_partner_address: boolean;
}

export interface PartnerAsset {
  currency: Asset;
  network: Network;
  /** The partner's wallet that receives bought crypto; null when the partner only sells or supplies addresses. */
  address: string | null;
  /** The network used when a session names the currency but not the network. */
  is_default: boolean;
}

export interface NormalizedPartner {
  name: string;
  contact_email: string;
  origins: string[];
  webhook_url: string | null;
  config: PartnerConfig;
}

export const DEFAULT_LIMITS = { min: '10', max: '10000' } as const;
export const LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pt'] as const;

const EMAIL = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]{1,190}\.[^\s@\p{Cc}]{2,63}$/u;

/**
 * Checks a partner's settings and returns them in stored form; errors name the JSON field (the admin
 * API's body; the CLI's flags map onto it).
 *
 * What is refused and what is only warned about: a configuration under which no session could ever
 * be created (no asset; no wallet, no partner-supplied addresses and no selling), or one that
 * contradicts itself (a default fiat outside the fiat list, a minimum not below its maximum, a fixed
 * fee no allowed amount could carry), is refused. One where some asset cannot be bought while the
 * partner can still transact (a sell-only asset, a wallet still to come) is legal and only warned
 * about (transactionWarnings): it may well be meant.
 */
export function normalizePartnerInput(input: PartnerInput): NormalizedPartner {
  const name = text('name', input.name, 200);
  const contact_email = text('contact_email', input.contact_email, 254);
  if (!EMAIL.test(contact_email)) throw new ConfigurationError('contact_email', `not an email address: ${contact_email}`);
  const origins = unique((input.origins ?? []).map((origin) => normalizeOrigin(origin)));
  if (origins.length === 0) throw new ConfigurationError('origins', 'at least one origin is required');

  // A default fiat given alone is the whole list; given with a list, it must be one of them.
  const fiat_currencies = fiatList('fiat_currencies', input.fiat_currencies ?? [input.default_fiat ?? 'EUR']);
  const default_fiat = fiatCode('default_fiat', input.default_fiat ?? fiat_currencies[0]!);
  if (!fiat_currencies.includes(default_fiat)) {
    throw new ConfigurationError(
      'default_fiat',
      `${default_fiat} is not in fiat_currencies (${fiat_currencies.join(', ')}): add it there, or choose one of them`,
    );
  }
  const sellEnabled = input.sell ?? false;
  const sell = {
    enabled: sellEnabled,
    fiat_currencies: input.sell_fiat_currencies ? fiatList('sell_fiat_currencies', input.sell_fiat_currencies) : [...fiat_currencies],
  };

  const widgetType = input.widget?.type ?? 'buy';
  if (widgetType !== 'buy' && widgetType !== 'sell') throw new ConfigurationError('widget.type', 'must be buy or sell');
  if (widgetType === 'sell' && !sellEnabled) throw new ConfigurationError('widget.type', 'sell as default type needs sell enabled');
  const lang = input.widget?.lang ?? 'en';
  if (!(LANGUAGES as readonly string[]).includes(lang))
    throw new ConfigurationError('widget.lang', `must be one of ${LANGUAGES.join(', ')}`);
  const theme = input.widget?.theme ?? 'light';
  if (theme !== 'light' && theme !== 'dark') throw new ConfigurationError('widget.theme', 'must be light or dark');
  const redirect = input.widget?.redirect_url ?? null;

  const allow_partner_address = input.allow_partner_address ?? false;
  const assets = normalizeAssets(input.assets ?? []);
  if (!sellEnabled && !allow_partner_address && !assets.some((asset) => asset.address !== null)) {
    throw new ConfigurationError(
      'assets',
      'no asset has a wallet, allow_partner_address is off and sell is off, so no session could ever be created: give an asset a wallet address, allow partner addresses, or enable sell',
    );
  }
  const limits = normalizeLimits(input.limits ?? {});

  return {
    name,
    contact_email,
    origins,
    webhook_url: input.webhook_url == null ? null : httpUrl('webhook_url', input.webhook_url),
    config: {
      partner_type: input.partner_type ? text('partner_type', input.partner_type, 50) : 'wallet',
      ip_allowlist: unique((input.ip_allowlist ?? []).map(normalizeCidr)),
      assets,
      fiat_currencies,
      default_fiat,
      sell,
      widget: { type: widgetType, lang, theme, redirect_url: redirect === null ? null : httpUrl('widget.redirect_url', redirect) },
      fees: normalizeFees(input.fees, limits),
      limits,
      allow_partner_address,
    },
  };
}

/**
 * What a valid configuration still cannot do, for the operator to read when creating or updating a
 * partner: each asset that cannot be bought because it has no wallet and the partner may not supply
 * addresses (a buy of it answers WALLET_NOT_SUPPORTED).
 */
export function transactionWarnings(config: PartnerConfig): string[] {
  if (config.allow_partner_address) return [];
  return config.assets
    .filter((asset) => asset.address === null)
    .map(
      (asset) =>
        `${asset.currency} on ${asset.network} has no wallet and allow_partner_address is off: buying it answers 400 WALLET_NOT_SUPPORTED` +
        (config.sell.enabled ? ' (it can still be sold)' : ', and selling is off'),
    );
}

/** The inverse of normalization, so an update can overlay changed fields and validate the whole again. */
export function toPartnerInput(partner: NormalizedPartner): PartnerInput {
  const { config } = partner;
  return {
    name: partner.name,
    contact_email: partner.contact_email,
    origins: partner.origins,
    webhook_url: partner.webhook_url,
    ...config,
    sell: config.sell.enabled,
    sell_fiat_currencies: config.sell.fiat_currencies,
  };
}

function normalizeAssets(assets: NonNullable<PartnerInput['assets']>): PartnerAsset[] {
  if (assets.length === 0) throw new ConfigurationError('assets', 'at least one asset is required');
  const out: PartnerAsset[] = [];
  for (const [index, asset] of assets.entries()) {
    // Errors name the JSON field of the very entry (`assets.1.network`); the CLI's --asset flags are in the same order.
    const field = (name: string) => `assets.${index}.${name}`;
    const currency = asset.currency.toUpperCase();
    const network = asset.network.toUpperCase();
    const label = `${currency}:${network}`;
    if (!isAsset(currency))
      throw new ConfigurationError(field('currency'), `unknown currency ${currency} (known: ${Object.keys(ASSETS).join(', ')})`);
    if (!isNetwork(network))
      throw new ConfigurationError(field('network'), `unknown network ${network} (known: ${Object.keys(NETWORKS).join(', ')})`);
    if (!assetTravelsOn(currency, network)) throw new ConfigurationError(field('network'), `${currency} is not available on ${network}`);
    if (out.some((other) => other.currency === currency && other.network === network)) {
      throw new ConfigurationError(field('network'), `${label} is listed twice`);
    }
    let address: string | null = null;
    if (asset.address != null && asset.address !== '') {
      const check = validateAddress(NETWORKS[network].addressFormat, asset.address);
      if (!check.ok) throw new ConfigurationError(field('address'), `${label} wallet ${asset.address}: ${check.issue}`);
      address = check.address;
    }
    out.push({ currency, network, address, is_default: asset.is_default ?? false });
  }
  // Each currency has exactly one default network: the one marked, else the first listed.
  for (const currency of unique(out.map((asset) => asset.currency))) {
    const ofCurrency = out.filter((asset) => asset.currency === currency);
    const marked = ofCurrency.filter((asset) => asset.is_default);
    if (marked.length > 1) throw new ConfigurationError('assets', `${currency} has more than one default network`);
    if (marked.length === 0) ofCurrency[0]!.is_default = true;
  }
  return out;
}

function normalizeFees(fees: PartnerInput['fees'], limits: PartnerConfig['limits']): PartnerConfig['fees'] {
  const percent = fees?.percent ?? '0';
  try {
    const value = parseRatio(percent);
    if (value.num >= 50n * value.den) throw new ConfigurationError('fees.percent', 'must be below 50');
  } catch (error) {
    if (error instanceof AmountError) throw new ConfigurationError('fees.percent', `not a decimal: ${percent}`);
    throw error;
  }
  const fixed: Partial<Record<Fiat, string>> = {};
  for (const [code, amount] of Object.entries(fees?.fixed ?? {})) {
    const fiat = fiatCode('fees.fixed', code);
    const field = `fees.fixed.${fiat}`;
    fixed[fiat] = fiatAmount(field, fiat, amount);
    // The fee is part of every amount the limits bound, so a fee at the maximum leaves no amount allowed.
    const { max } = limits[fiat] ?? DEFAULT_LIMITS;
    if (parseAmount(amount, FIATS[fiat].decimals) >= parseAmount(max, FIATS[fiat].decimals)) {
      throw new ConfigurationError(field, `${amount} ${fiat} is not below the ${fiat} maximum (${max}): no amount could carry it`);
    }
  }
  return { percent, fixed };
}

function normalizeLimits(limits: Record<string, { min: string; max: string }>): PartnerConfig['limits'] {
  const out: PartnerConfig['limits'] = {};
  for (const [code, { min, max }] of Object.entries(limits)) {
    const fiat = fiatCode('limits', code);
    const field = `limits.${fiat}`;
    const decimals = FIATS[fiat].decimals;
    fiatAmount(field, fiat, min);
    fiatAmount(field, fiat, max);
    if (parseAmount(min, decimals) >= parseAmount(max, decimals)) {
      throw new ConfigurationError(field, `the minimum (${min}) must be below the maximum (${max}), or no amount is allowed`);
    }
    out[fiat] = { min, max };
  }
  return out;
}

export function normalizeCidr(input: string): string {
  try {
    const [address, prefix] = input.includes('/')
      ? ipaddr.parseCIDR(input)
      : (() => {
          const parsed = ipaddr.parse(input);
          return [parsed, parsed.kind() === 'ipv4' ? 32 : 128] as const;
        })();
    return `${address.toString()}/${prefix}`;
  } catch {
    throw new ConfigurationError('ip_allowlist', `not an IP address or CIDR range: ${input}`);
  }
}

function fiatList(field: string, codes: string[]): Fiat[] {
  const list = unique(codes.map((code) => fiatCode(field, code)));
  if (list.length === 0) throw new ConfigurationError(field, 'at least one fiat currency is required');
  return list;
}

function fiatCode(field: string, code: string): Fiat {
  const upper = code.trim().toUpperCase();
  if (!isFiat(upper)) throw new ConfigurationError(field, `unknown fiat currency ${code} (known: ${Object.keys(FIATS).join(', ')})`);
  return upper;
}

function fiatAmount(field: string, fiat: Fiat, amount: string): string {
  try {
    parseAmount(amount, FIATS[fiat].decimals);
    return amount;
  } catch {
    throw new ConfigurationError(field, `${fiat} amount ${amount} is not a decimal with at most ${FIATS[fiat].decimals} places`);
  }
}

function text(field: string, value: string | undefined, max: number): string {
  const trimmed = value?.trim() ?? '';
  if (trimmed === '') throw new ConfigurationError(field, 'is required');
  if (trimmed.length > max || !PRINTABLE_TEXT.test(trimmed))
    throw new ConfigurationError(field, `must be at most ${max} printable characters`);
  return trimmed;
}

function httpUrl(field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(field, `not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigurationError(field, 'must be an http(s) URL');
  if (url.username || url.password) throw new ConfigurationError(field, 'must not carry credentials');
  if (value.length > 2048) throw new ConfigurationError(field, 'is longer than 2048 characters');
  return url.toString();
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
