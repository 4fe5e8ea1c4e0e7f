import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket from 'ws';
import { ADMIN_TOKEN, request, sessionBody, startTestServer, type HttpResult, type PartnerCredentials, type TestServer } from './test-platform.ts';

/**
 * What the status-delivery tests share: a real local HTTP receiver for webhooks, a WebSocket
 * client that queues what it receives, and small wrappers over the sandbox and admin calls.
 * Waiting is always on an event with a timeout guard, never on a timer standing in for time.
 */

export const WAIT_MS = 5_000;

export interface ReceivedHook {
  /** 1-based, in arrival order, across every request this receiver got. */
  n: number;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
}

export type Responder = (hook: ReceivedHook, res: ServerResponse) => void;

export interface Receiver {
  url: string;
  received: ReceivedHook[];
  /** How the receiver answers from now on; the default answers 204. */
  respond: Responder;
  /** Resolves once at least `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedHook[]>;
  /** Every parsed body whose merchant_transaction_id is `id`, in arrival order. */
  forTransaction(id: string): ReceivedHook[];
  close(): Promise<void>;
}

export const answer = (status: number, headers: Record<string, string> = {}): Responder => (_hook, res) => {
  res.writeHead(status, headers).end();
};

/** `port`: listen there (a receiver coming back where a stopped one was); any free port by default. */
export async function startReceiver(port = 0): Promise<Receiver> {
  const received: ReceivedHook[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const open = new Set<ServerResponse>();
  const receiver: Receiver = {
    url: '',
    received,
    respond: answer(204),
    waitFor(count, timeoutMs = WAIT_MS) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${received.length} requests, expected ${count} within ${timeoutMs} ms`)), timeoutMs);
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
  const server: Server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const hook: ReceivedHook = { n: received.length + 1, path: req.url ?? '', headers: req.headers, body, json };
      received.push(hook);
      receiver.respond(hook, res);
      for (const waiter of [...waiters]) {
        if (received.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

export interface Client {
  socket: WebSocket;
  messages: any[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once at least `count` messages have arrived (all of them so far). */
  next(count: number, timeoutMs?: number): Promise<any[]>;
  /** The client's local port once the upgrade answered: the server side sees it as remotePort. */
  localPort(): number | undefined;
}

/** Opens /ws with the given query and (optionally) bearer token; queues every JSON message. */
export function connect(server: TestServer, query: Record<string, string>, token?: string, options: WebSocket.ClientOptions = {}): Client {
  const url = `${server.url.replace('http', 'ws')}/ws?${new URLSearchParams(query)}`;
  const socket = new WebSocket(url, { ...options, headers: { ...options.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const messages: any[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let closedWith: { code: number; reason: string } | null = null;
  let localPort: number | undefined;
  socket.on('upgrade', (response) => (localPort = response.socket.localPort));
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const waiter of [...waiters]) {
      if (messages.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  socket.on('error', () => {}); // surfaced through 'close'
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => {
      closedWith = { code, reason: String(reason) };
      resolve(closedWith);
    }),
  );
  return {
    socket,
    messages,
    closed,
    localPort: () => localPort,
    next(count, timeoutMs = WAIT_MS) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`got ${messages.length} messages, expected ${count} within ${timeoutMs} ms (closed: ${JSON.stringify(closedWith)}): ${JSON.stringify(messages)}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(messages);
          },
        });
      });
    },
  };
}

/** Rejects after `ms` unless the promise settles first; a guard, not a delay. */
export function within<T>(promise: Promise<T>, ms = WAIT_MS, what = 'the event'): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    }),
  ]);
}

export const sandboxMove = (server: TestServer, id: string, status: string, reason?: string): Promise<HttpResult> =>
  request(`${server.url}/admin/sandbox/transactions/${encodeURIComponent(id)}/status`, { token: ADMIN_TOKEN, body: { status, ...(reason ? { reason } : {}) } });

export const admin = (server: TestServer, path: string, method = 'GET', body?: unknown): Promise<HttpResult> =>
  request(`${server.url}/admin${path}`, { token: ADMIN_TOKEN, method, ...(body === undefined ? {} : { body }) });

/** Creates a session and returns its merchant_transaction_id. */
export async function newSession(server: TestServer, partner: PartnerCredentials, overrides: Record<string, unknown> = {}): Promise<string> {
  const session = await request(`${server.url}/widget/session`, { token: partner.client_token, body: sessionBody(overrides) });
  if (session.status !== 200) throw new Error(`session failed: ${session.status} ${JSON.stringify(session.body)}`);
  return session.body.merchant_transaction_id;
}

export const getTransaction = (server: TestServer, partner: PartnerCredentials, id: string): Promise<HttpResult> =>
  request(`${server.url}/widget/transactions/${encodeURIComponent(id)}`, { token: partner.client_token });

/**
 * The server side of WebSocket connections, found by the client's port, so a test can wait until
 * the server has really let a connection go (its close handlers have run) instead of guessing.
 */
export function trackServerSockets(server: TestServer): { socketOf(client: Client): Socket; closedOnServer(client: Client): Promise<void> } {
  const sockets: Array<{ socket: Socket; port: number | undefined }> = [];
  server.app.server.on('upgrade', (_request, socket: Socket) => sockets.push({ socket, port: socket.remotePort }));
  const socketOf = (client: Client) => {
    const port = client.localPort();
    const socket = sockets.find((candidate) => candidate.port === port)?.socket;
    if (!socket) throw new Error(`no server-side socket for client port ${port}`);
    return socket;
  };
  return {
    socketOf,
    async closedOnServer(client) {
      const socket = socketOf(client);
      if (!socket.closed) await within(new Promise((resolve) => socket.once('close', resolve)), WAIT_MS, 'the server-side close');
      // ws emits its own 'close' (where the hub forgets the subscriber) once its parser has finished.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/** What delivery tests run with: webhooks may go to the local receiver, and the sandbox calls are on. */
export const DELIVERY_ENV = { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', SANDBOX_TOOLS: 'true' };

export interface DeliveryRig {
  server: TestServer;
  receiver: Receiver;
  /** Its webhook_url is the receiver's /hooks. */
  partner: PartnerCredentials;
  close(): Promise<void>;
}

/** A server with its webhook worker, a local receiver, and a partner whose webhooks go there. */
export async function startDeliveryRig(env: Record<string, string> = {}): Promise<DeliveryRig> {
  const receiver = await startReceiver();
  const server = await startTestServer({ background: true, env: { ...DELIVERY_ENV, ...env } });
  const partner = await server.createPartner({ webhook_url: `${receiver.url}/hooks` });
  return {
    server,
    receiver,
    partner,
    close: async () => {
      await server.close();
      await receiver.close();
    },
  };
}
