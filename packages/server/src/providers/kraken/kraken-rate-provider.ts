import type { Clock } from '../../lib/clock.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { MarketQuote, QuoteRequest, RateProvider } from '../../modules/pricing/rate-provider.ts';
import type { KrakenSettings } from './settings.ts';
import { type KrakenTicker, krakenPair, PROVIDER, toMarketQuote, toTicker } from './transformers.ts';

interface CachedTicker {
  ticker: KrakenTicker;
  /** When the request that produced it started (so its age is never understated). */
  fetchedAtMs: number;
}

/**
 * Live rates from Kraken's public market data (GET /0/public/Ticker; no account, no key).
 *
 * Per pair, a ticker is reused for `cacheTtlMs` (10 s), and concurrent quotes share one request.
 * When a refresh fails for a transient reason (unreachable, slow, malformed answer) the last ticker
 * still serves while it is younger than `maxAgeMs` (60 s); past that the quote is refused with the
 * refresh's error, since pricing on a market that may have moved is worse than a retryable 502.
 * An unknown pair is a firm `rejected` and never falls back. Ages come from the injected clock.
 */
export class KrakenRateProvider implements RateProvider {
  readonly name = PROVIDER;
  private readonly settings: KrakenSettings;
  private readonly clock: Clock;
  private readonly cache = new Map<string, CachedTicker>();
  private readonly inFlight = new Map<string, Promise<KrakenTicker>>();

  constructor(options: { settings: KrakenSettings; clock: Clock }) {
    this.settings = options.settings;
    this.clock = options.clock;
  }

  async quote({ asset, network, fiat, side }: QuoteRequest): Promise<MarketQuote> {
    const networkFee = this.settings.networkFees[network]?.[asset];
    if (!networkFee) {
      throw new ProviderError({ provider: this.name, kind: 'rejected', message: `no network fee configured for ${asset} on ${network}` });
    }
    const ticker = await this.ticker(krakenPair(asset, fiat));
    return toMarketQuote({ ticker, side, networkFee });
  }

  private async ticker(pair: string): Promise<KrakenTicker> {
    const cached = this.cache.get(pair);
    if (cached && this.ageMs(cached) < this.settings.cacheTtlMs) return cached.ticker;
    try {
      return await this.refresh(pair);
    } catch (error) {
      const transient = error instanceof ProviderError && error.kind !== 'rejected';
      // Re-read: a concurrent refresh may have succeeded meanwhile.
      const fallback = this.cache.get(pair);
      if (transient && fallback && this.ageMs(fallback) < this.settings.maxAgeMs) return fallback.ticker;
      throw error;
    }
  }

  /** One request per pair at a time: callers arriving while it runs wait for the same answer. */
  private refresh(pair: string): Promise<KrakenTicker> {
    const running = this.inFlight.get(pair);
    if (running) return running;
    const startedAtMs = this.clock.now().getTime();
    const request = this.fetchTicker(pair)
      .then((ticker) => {
        const current = this.cache.get(pair);
        if (!current || current.fetchedAtMs <= startedAtMs) this.cache.set(pair, { ticker, fetchedAtMs: startedAtMs });
        return ticker;
      })
      .finally(() => this.inFlight.delete(pair));
    this.inFlight.set(pair, request);
    return request;
  }

  private async fetchTicker(pair: string): Promise<KrakenTicker> {
    const url = `${this.settings.baseUrl}/0/public/Ticker?pair=${encodeURIComponent(pair)}`;
    const unavailable = (message: string, cause?: unknown) =>
      new ProviderError({ provider: this.name, kind: 'unavailable', message: `Ticker ${pair}: ${message}`, cause });
    let status: number;
    let text: string;
    try {
      // The signal bounds the whole exchange, body included, so a server that stalls mid-body times out too.
      const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.settings.timeoutMs) });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw unavailable(timedOut ? `no answer within ${this.settings.timeoutMs} ms` : `request failed (${describe(error)})`, error);
    }
    if (status === 408 || status === 429 || status >= 500) throw unavailable(`HTTP ${status}`);
    const invalid = (message: string, cause?: unknown) =>
      new ProviderError({ provider: this.name, kind: 'invalid_response', message: `Ticker ${pair}: ${message}`, cause });
    if (status !== 200) throw invalid(`unexpected HTTP ${status}`);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (error) {
      throw invalid('the body is not JSON', error);
    }
    return toTicker(payload, pair);
  }

  private ageMs(entry: CachedTicker): number {
    return this.clock.now().getTime() - entry.fetchedAtMs;
  }
}

/** The network error's code (ECONNREFUSED …) or message, without the URL's details twice. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}
