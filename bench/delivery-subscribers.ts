/**
 * The WebSocket clients of `npm run bench:delivery`, in a process of their own: many connections, every
 * receipt timestamped. Apart from the bench's main process so that they can run at a lower CPU
 * priority than the servers under test (BENCH_CLIENT_NICENESS): they stand for clients on other
 * machines, and on a 2-core machine half a million receipts at the servers' priority take CPU the
 * servers would otherwise have. Commands arrive as JSON lines on stdin; each gets one JSON line back
 * on stdout, in order (as in delivery-baseline.ts). Times are wall-clock milliseconds with
 * sub-millisecond resolution (timeOrigin + performance.now()), comparable across processes.
 */
import WebSocket from 'ws';
import { serveCommands } from './command-lines.ts';

const now = () => performance.timeOrigin + performance.now();

type Command =
  | { cmd: 'connect'; url: string; count: number; headers: Record<string, string> }
  | { cmd: 'wait'; keys: string[]; count: number; timeoutMs: number }
  | { cmd: 'times'; keys: string[] }
  | { cmd: 'texts'; keys: string[] }
  | { cmd: 'reset' }
  | { cmd: 'close' };

interface Receipts {
  text: string;
  times: number[];
}

let sockets: WebSocket[] = [];
/** Every subscriber receives the same text: one parse per distinct message. */
const byText = new Map<string, Receipts>();
/** merchant_transaction_id/status → its receipts. */
const byKey = new Map<string, Receipts>();

function receive(data: Buffer): void {
  const at = now();
  const text = data.toString();
  let receipts = byText.get(text);
  if (!receipts) {
    const message = JSON.parse(text) as { merchant_transaction_id: string; status: string };
    receipts = { text, times: [] };
    byText.set(text, receipts);
    byKey.set(`${message.merchant_transaction_id}/${message.status}`, receipts);
  }
  receipts.times.push(at);
}

async function connect(url: string, count: number, headers: Record<string, string>): Promise<number> {
  const started = now();
  let next = 0;
  const open = async () => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    socket.on('message', (data: Buffer) => receive(data));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('close', (code) => reject(new Error(`closed ${code} while connecting`)));
    });
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    socket.on('error', () => {});
    sockets.push(socket);
  };
  await Promise.all(
    Array.from({ length: Math.min(200, count) }, async () => {
      while (next++ < count) await open();
    }),
  );
  return now() - started;
}

const received = (key: string) => byKey.get(key)?.times.length ?? 0;

async function wait(keys: string[], count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Receipts only grow: each check starts at the first key still short.
  let done = 0;
  for (;;) {
    while (done < keys.length && received(keys[done]!) >= count) done++;
    if (done === keys.length) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms: ${done} of ${keys.length} messages reached ${count} clients`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function reset(): void {
  byText.clear();
  byKey.clear();
}

async function close(): Promise<void> {
  const closing = sockets.map(
    (socket) =>
      new Promise<void>((resolve) => (socket.readyState === WebSocket.CLOSED ? resolve() : socket.once('close', () => resolve()))),
  );
  for (const socket of sockets) socket.terminate();
  await Promise.all(closing);
  sockets = [];
  reset();
}

function known(key: string): Receipts {
  const receipts = byKey.get(key);
  if (!receipts) throw new Error(`no message ${key}`);
  return receipts;
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'connect':
      return { ms: await connect(command.url, command.count, command.headers) };
    case 'wait':
      await wait(command.keys, command.count, command.timeoutMs);
      return {};
    case 'times':
      return { times: command.keys.map((key) => known(key).times) };
    case 'texts':
      return { texts: command.keys.map((key) => known(key).text) };
    case 'reset':
      reset();
      return {};
    case 'close':
      await close();
      return {};
  }
}

serveCommands(handle, close);
