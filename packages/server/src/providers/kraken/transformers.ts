import type { Asset, Fiat } from '../../lib/catalog.ts';
import { formatAmount, parseAmount } from '../../lib/money.ts';
import { ProviderError, type ProviderErrorKind } from '../../lib/provider-error.ts';
import type { MarketQuote, QuoteSide } from '../../modules/pricing/rate-provider.ts';

/**
 * Kraken's payloads ↔ our canonical types. Pure: no I/O, no clock, so every mapping is tested on
 * recorded payloads (fixtures/*.json). The HTTP plumbing is in kraken-rate-provider.ts.
 *
 * GET /0/public/Ticker?pair=XBTEUR answers HTTP 200 either way:
 *   {"error":[],"result":{"XXBTZEUR":{"a":[ask, whole lot volume, lot volume],"b":[bid, …],"c":[last, …],…}}}
 *   {"error":["EQuery:Unknown asset pair"],"result":{}}
 * Prices are decimal strings; they stay strings here (never parseFloat).
 */

export const PROVIDER = 'kraken';

/** Kraken's names for our assets where they differ (it calls bitcoin XBT). */
const KRAKEN_ASSET: Record<Asset, string> = { USDT: 'USDT', USDC: 'USDC', BTC: 'XBT', ETH: 'ETH', SOL: 'SOL' };

/** The pair to ask for, e.g. BTC in EUR → "XBTEUR". Kraken answers under its own key ("XXBTZEUR"). */
export function krakenPair(asset: Asset, fiat: Fiat): string {
  return `${KRAKEN_ASSET[asset]}${fiat}`;
}

/** The best ask (what a buyer pays) and bid (what a seller gets) of one pair, normalised decimals. */
export interface KrakenTicker {
  ask: string;
  bid: string;
}

/** Reads a Ticker answer for `pair`; throws ProviderError for Kraken's errors and for anything malformed. */
export function toTicker(payload: unknown, pair: string): KrakenTicker {
  if (!isObject(payload) || !Array.isArray(payload.error)) throw invalid(`Ticker ${pair}: not a Kraken answer (no error array)`);
  const errors = payload.error;
  if (!errors.every((entry): entry is string => typeof entry === 'string')) throw invalid(`Ticker ${pair}: error array holds non-strings`);
  // "W…" entries are warnings that come with a result; only "E…" entries mean the call failed.
  const failures = errors.filter((entry) => entry.startsWith('E'));
  if (failures.length > 0) {
    const { kind, retryable } = classifyErrors(failures);
    throw new ProviderError({ provider: PROVIDER, kind, retryable, message: `Ticker ${pair}: ${failures.join(', ')}` });
  }
  if (!isObject(payload.result)) throw invalid(`Ticker ${pair}: no result object`);
  const entries = Object.entries(payload.result);
  // One pair was asked for; its key is Kraken's own name for it, so take the only entry.
  const entry = Object.hasOwn(payload.result, pair) ? payload.result[pair] : entries.length === 1 ? entries[0]![1] : undefined;
  if (!isObject(entry)) throw invalid(`Ticker ${pair}: expected one ticker in the result, got ${entries.length}`);
  return { ask: price(entry.a, `Ticker ${pair} ask`), bid: price(entry.b, `Ticker ${pair} bid`) };
}

/** A buyer pays the ask, a seller receives the bid: the platform never quotes across the spread. */
export function toMarketQuote(options: { ticker: KrakenTicker; side: QuoteSide; networkFee: string }): MarketQuote {
  return { rate: options.side === 'buy' ? options.ticker.ask : options.ticker.bid, networkFee: options.networkFee };
}

/**
 * Kraken's error strings ("<severity><category>:<message>") to our three kinds. Outages and rate
 * limiting pass; everything else (an unknown pair, invalid arguments) is a firm no.
 */
export function classifyErrors(errors: readonly string[]): { kind: ProviderErrorKind; retryable: boolean } {
  const transient = errors.some(
    (error) =>
      error.startsWith('EService:') ||
      error === 'EGeneral:Too many requests' ||
      error === 'EGeneral:Internal error' ||
      error === 'EAPI:Rate limit exceeded' ||
      error === 'EGeneral:Temporary lockout',
  );
  return transient ? { kind: 'unavailable', retryable: true } : { kind: 'rejected', retryable: false };
}

/** A strictly positive plain decimal ("88000.10000" → "88000.1"); no exponent, sign or float round trip. */
const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

function price(level: unknown, what: string): string {
  if (!Array.isArray(level) || typeof level[0] !== 'string') throw invalid(`${what}: expected [price, …] with a string price`);
  const text = level[0];
  if (!DECIMAL.test(text) || text.length > 40) throw invalid(`${what}: ${JSON.stringify(text.slice(0, 40))} is not a decimal price`);
  const decimals = text.split('.')[1]?.length ?? 0;
  const minor = parseAmount(text, decimals);
  if (minor <= 0n) throw invalid(`${what}: price is zero`);
  return formatAmount(minor, decimals);
}

function invalid(message: string): ProviderError {
  return new ProviderError({ provider: PROVIDER, kind: 'invalid_response', message });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
