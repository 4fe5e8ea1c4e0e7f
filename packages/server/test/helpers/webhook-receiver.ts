import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * A real local HTTP endpoint for outbound webhooks, the partner's side of a delivery: it records
 * every request (in arrival order, with the moment it arrived) and answers as the caller says, now
 * or later. Integration tests, the child-process tests and the delivery benchmark all use this one;
 * it is plain Node with no test runner, so benchmarks can import it.
 */

export interface ReceivedHook {
  /** 1-based, in arrival order, across every request this receiver got. */
  n: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body; undefined when it is not JSON. */
  json: any;
  /** The Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature); '' when absent. */
  id: string;
  timestamp: string;
  signature: string;
  /** When the body was complete, as `performance.timeOrigin + performance.now()`: benchmarks time arrivals with it. */
  receivedAt: number;
  /** The sender's end of the connection: tells which process sent it when several run. */
  remotePort: number;
  /** The status code the receiver answered; null while the answer is held back. */
  answered: number | null;
}

/** Answers one request: now (`res.writeHead(…).end()`), or later by keeping `res`. */
export type Responder = (hook: ReceivedHook, res: ServerResponse) => void;

/** Answers with `status` (or the status `status(hook)` picks for this request). */
export const answer =
  (status: number | ((hook: ReceivedHook) => number), headers: Record<string, string> = {}): Responder =>
  (hook, res) => {
    res.writeHead(typeof status === 'number' ? status : status(hook), headers).end();
  };

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** How the receiver answers from now on; 204 by default. */
  respond: Responder;
  /** The HTTP server itself (a test may watch its connections). */
  server: Server;
  /** Resolves once at least `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedHook[]>;
  /** Every request whose JSON body's merchant_transaction_id is `id`, in arrival order. */
  forTransaction(id: string): ReceivedHook[];
  /** Drops held answers and open connections, then stops listening. */
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  /** Listen on this port (a receiver coming back where a stopped one was); any free port by default. */
  port?: number;
  /** How to answer; 204 at once by default. */
  respond?: Responder;
}

const WAIT_MS = 5_000;

export async function startWebhookReceiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const open = new Set<ServerResponse>();
  const header = (headers: IncomingHttpHeaders, name: string) => String(headers[name] ?? '');
  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const receivedAt = performance.timeOrigin + performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const hook: ReceivedHook = {
        n: received.length + 1,
        path: req.url ?? '/',
        headers: req.headers,
        body,
        json,
        id: header(req.headers, 'webhook-id'),
        timestamp: header(req.headers, 'webhook-timestamp'),
        signature: header(req.headers, 'webhook-signature'),
        receivedAt,
        remotePort: req.socket.remotePort ?? 0,
        answered: null,
      };
      received.push(hook);
      res.once('finish', () => (hook.answered = res.statusCode));
      receiver.respond(hook, res);
      if (res.headersSent) hook.answered = res.statusCode;
      for (const waiter of [...waiters]) {
        if (received.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  });
  // Senders keep a connection per worker slot between deliveries; closing idle ones after Node's
  // default 5 s would make them reconnect in the middle of a run.
  server.keepAliveTimeout = 60_000;
  const receiver: WebhookReceiver = {
    url: '',
    received,
    respond: options.respond ?? answer(204),
    server,
    waitFor(count, timeoutMs = WAIT_MS) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${received.length} requests, expected ${count} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      });
    },
    forTransaction: (id) => received.filter((hook) => hook.json?.merchant_transaction_id === id),
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/**
 * Whether a hook carries a valid Standard Webhooks signature for `secret`. Checked without the
 * library's timestamp tolerance: the sandbox clock may have been moved forward on purpose.
 */
export function signatureValid(hook: ReceivedHook, secret: string): boolean {
  const expected = new Webhook(secret).sign(hook.id, new Date(Number(hook.timestamp) * 1000), hook.body);
  return hook.signature.split(' ').includes(expected);
}
