import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { FanOut, type Outlet, PreparedMessage, writesFramesDirectly } from './ws-fan-out.ts';

/** A loopback ws server and clients, to check the bytes the fan-out writes are what ws.send would write. */
async function pair(
  count: number,
): Promise<{ outlets: Outlet[]; clients: WebSocket[]; received: string[][]; closes: Array<Promise<number>>; stop(): Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const serverSockets: WebSocket[] = [];
  server.on('connection', (socket) => serverSockets.push(socket));
  const clients: WebSocket[] = [];
  const received: string[][] = [];
  const closes: Array<Promise<number>> = [];
  for (let i = 0; i < count; i++) {
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const messages: string[] = [];
    received.push(messages);
    client.on('message', (data) => messages.push(String(data)));
    closes.push(new Promise((resolve) => client.on('close', (code) => resolve(code))));
    await new Promise<void>((resolve) => client.once('open', () => resolve()));
    clients.push(client);
  }
  while (serverSockets.length < count) await new Promise((resolve) => setImmediate(resolve));
  return {
    outlets: serverSockets.map((socket) => ({ socket, outbox: [], queued: false, closeAfter: null })),
    clients,
    received,
    closes,
    stop: async () => {
      for (const client of clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

describe('FanOut', () => {
  let stop: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await stop?.();
    stop = null;
  });
  const options = { maxBufferedBytes: 1024 * 1024, slowCode: 4408, slowGraceMs: 200, onError: () => {} };

  it('writes each prepared frame directly, in order per connection, across slices, then closes as asked', async () => {
    const peers = await pair(50);
    stop = peers.stop;
    expect(writesFramesDirectly(peers.outlets[0]!.socket)).toBe(true);
    // A budget of zero: every 16 connections is a slice of its own.
    const fanOut = new FanOut({ ...options, sliceBudgetMs: 0 });
    const texts = Array.from({ length: 30 }, (_, i) => JSON.stringify({ n: i, text: 'é'.repeat(i * 10) }));
    for (const [i, text] of texts.entries()) {
      const message = new PreparedMessage(text);
      fanOut.run(() => {
        for (const outlet of peers.outlets) fanOut.enqueue(outlet, message);
      });
      // Some arrive while earlier ones are still being sent.
      if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    fanOut.run(() => fanOut.closeWhenSent(peers.outlets[0]!, 1000, 'done'));
    await until(() => peers.received.every((messages) => messages.length === texts.length));
    for (const messages of peers.received) expect(messages).toEqual(texts);
    expect(await peers.closes[0]).toBe(1000);
    expect(fanOut.waiting).toBe(0);
  });

  it('gives the same bytes through ws.send when the frame cannot be written directly', async () => {
    const peers = await pair(3);
    stop = peers.stop;
    // As with a negotiated extension: the fan-out must not bypass ws then.
    (peers.outlets[1]!.socket as unknown as { _extensions: Record<string, unknown> })._extensions = { 'x-test': {} };
    expect(writesFramesDirectly(peers.outlets[1]!.socket)).toBe(false);
    const fanOut = new FanOut(options);
    const texts = ['{"a":1}', 'x'.repeat(70_000), '{"ü":"ß"}'];
    for (const text of texts) {
      const message = new PreparedMessage(text);
      for (const outlet of peers.outlets) fanOut.enqueue(outlet, message);
    }
    await until(() => peers.received.every((messages) => messages.length === texts.length));
    for (const messages of peers.received) expect(messages).toEqual(texts);
  });

  it('closes a connection that stops reading with the slow code, and cuts it off after the grace period', async () => {
    const peers = await pair(1);
    stop = peers.stop;
    const outlet = peers.outlets[0]!;
    const fanOut = new FanOut({ ...options, maxBufferedBytes: 64 * 1024 });
    (peers.clients[0] as unknown as { _socket: { pause(): void } })._socket.pause();
    const closedOnServer = new Promise<number>((resolve) => outlet.socket.once('close', (code) => resolve(code)));
    const message = new PreparedMessage('y'.repeat(16 * 1024));
    let sent = 0;
    while (outlet.socket.readyState === WebSocket.OPEN) {
      if (++sent > 5_000) throw new Error('never closed');
      fanOut.enqueue(outlet, message);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(outlet.socket.readyState).toBe(WebSocket.CLOSING);
    // The client never reads again: the server lets it go after the grace period.
    const started = Date.now();
    await closedOnServer;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
