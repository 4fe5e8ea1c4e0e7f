import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Kraken's public Ticker endpoint (GET /0/public/Ticker?pair=XBTEUR) on 127.0.0.1,
 * answering in the documented shapes: tickers under Kraken's own pair keys, errors as HTTP 200 with an
 * `error` array. Tests change the answer per pair (or for all) to play outages, garbage and hangs.
 */

export type FakeReply =
  /** A ticker with this best ask and bid (strings, as Kraken sends them). */
  | { kind: 'ticker'; ask: string; bid: string }
  /** Kraken's error envelope, e.g. ["EService:Unavailable"]. */
  | { kind: 'errors'; errors: readonly string[] }
  /** Any body with any status (malformed JSON, an HTML error page, a 503). */
  | { kind: 'raw'; status: number; body: string; contentType?: string }
  /** Accepts the request and never answers. */
  | { kind: 'hang' }
  /** Sends the headers and half a body, then stalls. */
  | { kind: 'stall-body' }
  /** Answers `then` after `ms` (to hold requests in flight). */
  | { kind: 'delayed'; ms: number; then: FakeReply };

/** Default market, Kraken-style decimals; every asset and fiat of the catalog, ask above bid. */
export const FAKE_TICKERS: Record<string, { key: string; ask: string; bid: string }> = {
  USDTEUR: { key: 'USDTEUR', ask: '0.92150000', bid: '0.92130000' },
  USDTUSD: { key: 'USDTZUSD', ask: '1.00020000', bid: '1.00010000' },
  USDTGBP: { key: 'USDTGBP', ask: '0.79110000', bid: '0.79080000' },
  USDCEUR: { key: 'USDCEUR', ask: '0.92140000', bid: '0.92120000' },
  USDCUSD: { key: 'USDCUSD', ask: '1.00000000', bid: '0.99990000' },
  USDCGBP: { key: 'USDCGBP', ask: '0.79100000', bid: '0.79070000' },
  XBTEUR: { key: 'XXBTZEUR', ask: '88123.40000', bid: '88120.10000' },
  XBTUSD: { key: 'XXBTZUSD', ask: '95010.00000', bid: '95009.90000' },
  XBTGBP: { key: 'XXBTZGBP', ask: '75002.50000', bid: '74998.00000' },
  ETHEUR: { key: 'XETHZEUR', ask: '3101.25000', bid: '3100.91000' },
  ETHUSD: { key: 'XETHZUSD', ask: '3350.48000', bid: '3350.11000' },
  ETHGBP: { key: 'XETHZGBP', ask: '2650.77000', bid: '2650.02000' },
  SOLEUR: { key: 'SOLEUR', ask: '190.12000', bid: '190.05000' },
  SOLUSD: { key: 'SOLUSD', ask: '205.33000', bid: '205.29000' },
  SOLGBP: { key: 'SOLGBP', ask: '162.41000', bid: '162.30000' },
};

export interface FakeKraken {
  url: string;
  /** The `pair` of every request received, in order. */
  requests: string[];
  /** Answers `pair` (or every pair with '*') this way from now on; a pair's own reply wins over '*'. */
  reply(pair: string, reply: FakeReply): void;
  /** Back to the default market for every pair. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeKraken(): Promise<FakeKraken> {
  const requests: string[] = [];
  const replies = new Map<string, FakeReply>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method !== 'GET' || url.pathname !== '/0/public/Ticker') {
      send(res, 404, 'text/plain', 'not found');
      return;
    }
    const pair = url.searchParams.get('pair') ?? '';
    requests.push(pair);
    const known = Object.hasOwn(FAKE_TICKERS, pair) ? FAKE_TICKERS[pair] : undefined;
    answer(
      res,
      pair,
      replies.get(pair) ??
        replies.get('*') ??
        (known ? { kind: 'ticker', ask: known.ask, bid: known.bid } : { kind: 'errors', errors: ['EQuery:Unknown asset pair'] }),
    );
  });
  const answer = (res: ServerResponse, pair: string, reply: FakeReply): void => {
    const known = Object.hasOwn(FAKE_TICKERS, pair) ? FAKE_TICKERS[pair] : undefined;
    switch (reply.kind) {
      case 'ticker': {
        const ticker = {
          a: [reply.ask, '1', '1.000'],
          b: [reply.bid, '2', '2.000'],
          c: [reply.ask, '0.00100000'],
          v: ['10.0', '100.0'],
          t: [10, 100],
          o: reply.bid,
        };
        send(res, 200, 'application/json', JSON.stringify({ error: [], result: { [known?.key ?? pair]: ticker } }));
        return;
      }
      case 'errors':
        send(res, 200, 'application/json', JSON.stringify({ error: reply.errors, result: {} }));
        return;
      case 'raw':
        send(res, reply.status, reply.contentType ?? 'application/json', reply.body);
        return;
      case 'hang':
        return;
      case 'stall-body':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
        res.write('{"error":[],"result":{');
        return;
      case 'delayed':
        setTimeout(() => answer(res, pair, reply.then), reply.ms);
        return;
    }
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    reply: (pair, reply) => replies.set(pair, reply),
    reset: () => replies.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType }).end(body);
}
