import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { TestServer } from './test-platform.ts';

/**
 * What the status-delivery tests share: a WebSocket client that queues what it receives, a view of
 * the server's side of its sockets, and the settings delivery tests run with (the webhook receiver
 * is webhook-receiver.ts). Waiting is always on an event with a timeout guard, never on a timer
 * standing in for time.
 */

export const WAIT_MS = 5_000;

/** What delivery tests run with: webhooks may go to the local receiver, and the sandbox calls are on. */
export const DELIVERY_ENV = { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', SANDBOX_TOOLS: 'true' };

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

/** Opens /ws with the given query (fields, or a raw query string) and, optionally, a bearer token; queues every JSON message. */
export function connect(
  server: Pick<TestServer, 'url'>,
  query: Record<string, string> | string,
  token?: string,
  options: WebSocket.ClientOptions = {},
): Client {
  const url = `${server.url.replace('http', 'ws')}/ws?${typeof query === 'string' ? query : new URLSearchParams(query)}`;
  const socket = new WebSocket(url, {
    ...options,
    headers: { ...options.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
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
          () =>
            reject(
              new Error(
                `got ${messages.length} messages, expected ${count} within ${timeoutMs} ms (closed: ${JSON.stringify(closedWith)}): ${JSON.stringify(messages)}`,
              ),
            ),
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

/**
 * The server side of WebSocket connections, found by the client's port, so a test can wait until
 * the server has really let a connection go (its close handlers have run) instead of guessing.
 */
export function trackServerSockets(server: Pick<TestServer, 'app'>): {
  socketOf(client: Client): Socket;
  closedOnServer(client: Client): Promise<void>;
} {
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
