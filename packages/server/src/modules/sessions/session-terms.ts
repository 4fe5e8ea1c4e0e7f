import ipaddr from 'ipaddr.js';
import { validateAddress } from '../../lib/address.ts';
import { ASSETS, type Asset, FIATS, type Fiat, NETWORKS, type Network } from '../../lib/catalog.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { AmountError, parseAmount } from '../../lib/money.ts';
import type { PartnerAsset, PartnerConfig } from '../partners/partner-config.ts';
import type { CreateSessionBody } from './session-schemas.ts';

export type AmountGiven = { crypto: bigint } | { fiat: bigint };

/** A session request checked against the partner's policy: what will be quoted and where it goes. */
export interface SessionTerms {
  type: 'buy' | 'sell';
  asset: PartnerAsset & { currency: Asset; network: Network };
  fiat: Fiat;
  /** The amount the request fixes; null when it sends none and the user picks it in the widget. */
  given: AmountGiven | null;
  /** For a buy: the wallet the crypto goes to. Sell addresses are allocated per transaction. */
  buyAddress: string | null;
  clientIp: string | null;
  redirectUrl: string | null;
}

/** Applies the partner's rules to a request, without I/O; throws the documented 4xx on the first breach. */
export function resolveSessionTerms(config: PartnerConfig, body: CreateSessionBody): SessionTerms {
  const type = body.type ?? config.widget.type;
  if (type === 'sell' && !config.sell.enabled) {
    throw new ApiError('offramp_disabled', 'Selling crypto (off-ramp) is not enabled for this partner.');
  }

  // Replacing the address quietly would send the crypto somewhere the partner did not ask for.
  if (body.address != null && !config.allow_partner_address) {
    throw invalidField('address', 'this partner may not supply addresses; omit it to use the configured wallet');
  }
  // A sell's address is the deposit address the platform allocates: the user's crypto goes there,
  // never to an address the partner named, so naming one would be ignored; refused instead.
  if (body.address != null && type === 'sell') {
    throw invalidField('address', 'a sell deposits to an address the platform allocates per transaction; omit address');
  }

  const currency = body.currency.toUpperCase();
  const enabled = config.assets.filter((asset) => asset.currency === currency);
  if (enabled.length === 0) {
    throw new ApiError('currency_not_allowed', `Currency ${body.currency} is not enabled for this partner.`, {
      details: [{ field: 'currency', issue: `enabled: ${[...new Set(config.assets.map((a) => a.currency))].join(', ') || 'none'}` }],
    });
  }
  let asset: PartnerAsset | undefined;
  if (body.network == null) {
    asset = enabled.find((candidate) => candidate.is_default);
    if (!asset) throw new ApiError('missing_param', 'network is required.', { details: [{ field: 'network', issue: 'is required' }] });
  } else {
    const network = body.network.toUpperCase();
    asset = enabled.find((candidate) => candidate.network === network);
    if (!asset) {
      throw new ApiError('currency_not_allowed', `${currency} on network ${body.network} is not enabled for this partner.`, {
        details: [{ field: 'network', issue: `enabled for ${currency}: ${enabled.map((a) => a.network).join(', ')}` }],
      });
    }
  }

  const fiatList = type === 'sell' ? config.sell.fiat_currencies : config.fiat_currencies;
  const fiatCode = (body.fiat_currency ?? (fiatList.includes(config.default_fiat) ? config.default_fiat : fiatList[0]!)).toUpperCase();
  const fiat = fiatList.find((code) => code === fiatCode);
  if (!fiat) {
    throw new ApiError('currency_not_allowed', `Fiat currency ${body.fiat_currency} is not enabled for ${type} with this partner.`, {
      details: [{ field: 'fiat_currency', issue: `enabled: ${fiatList.join(', ')}` }],
    });
  }

  return {
    type,
    asset: asset as SessionTerms['asset'],
    fiat,
    given: requestedAmount(body, asset.currency, fiat),
    buyAddress: type === 'buy' ? routeBuyWallet(asset, body.address ?? null) : null,
    clientIp: body.client_ip == null ? null : normalizeIp(body.client_ip),
    redirectUrl: body.redirect_url == null ? config.widget.redirect_url : webRedirect(body.redirect_url),
  };
}

function requestedAmount(body: CreateSessionBody, currency: Asset, fiat: Fiat): AmountGiven | null {
  const { amount, crypto_amount: alias, fiat_amount: fiatAmount } = body;
  if (amount != null && alias != null && amount !== alias) {
    throw invalidField('crypto_amount', 'is another name for amount; send one of them');
  }
  const crypto = amount ?? alias ?? null;
  if (crypto !== null && fiatAmount != null) {
    throw invalidField('fiat_amount', 'send either a crypto amount or fiat_amount, not both');
  }
  // The older request form makes every amount optional: the user then picks it in the widget.
  if (crypto === null && fiatAmount == null) return null;
  if (crypto !== null) return { crypto: positiveAmount(amount != null ? 'amount' : 'crypto_amount', crypto, ASSETS[currency].decimals) };
  return { fiat: positiveAmount('fiat_amount', fiatAmount!, FIATS[fiat].decimals) };
}

function positiveAmount(field: string, text: string, decimals: number): bigint {
  let minor: bigint;
  try {
    minor = parseAmount(text, decimals);
  } catch (error) {
    if (error instanceof AmountError) throw invalidField(field, error.issue);
    throw error;
  }
  if (minor === 0n) throw invalidField(field, 'must be greater than zero');
  return minor;
}

/** Wallet routing for a buy: the address the partner supplies (when it may), else its configured wallet. */
function routeBuyWallet(asset: PartnerAsset, requested: string | null): string {
  if (requested !== null) {
    const check = validateAddress(NETWORKS[asset.network].addressFormat, requested);
    if (!check.ok) throw invalidField('address', `not a valid ${asset.network} address: ${check.issue}`);
    return check.address;
  }
  if (asset.address === null) {
    throw new ApiError('WALLET_NOT_SUPPORTED', `No active wallet for ${asset.currency} on ${asset.network}.`);
  }
  return asset.address;
}

/**
 * The widget navigates the user to this URL: only http(s), never javascript:, data: and the like, and
 * without user:password@, which disguises the real host (https://partner.example@evil.example/).
 */
function webRedirect(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidField('redirect_url', 'must be an http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidField('redirect_url', 'must be an http(s) URL');
  if (url.username || url.password) throw invalidField('redirect_url', 'must not carry credentials');
  return text;
}

function normalizeIp(text: string): string {
  // ipaddr.js also reads legacy forms such as "127.1" or octal parts; only standard notation is accepted.
  if (ipaddr.IPv4.isValidFourPartDecimal(text) || (text.includes(':') && ipaddr.IPv6.isValid(text))) {
    return ipaddr.process(text).toString();
  }
  throw invalidField('client_ip', 'must be an IPv4 or IPv6 address');
}
