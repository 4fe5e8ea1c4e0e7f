/**
 * Many WebSocket clients in a worker thread of their own, so that receiving thousands of messages
 * does not run on the event loop of the server under test (which a test measures). Started by
 * `startCrowd`; each client counts the messages it received.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

interface CrowdOptions {
  url: string;
  token: string;
  count: number;
}

export interface Crowd {
  /**
   * Resolves once every client has received at least `count` messages; rejects if a message
   * numbered `n` (the tests' own messages) arrived anywhere but as that client's message n + 1.
   */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens `count` connections to `url` (Authorization: Bearer `token`) from a worker thread; resolves once all are open. */
export async function startCrowd(options: CrowdOptions): Promise<Crowd> {
  const worker = new Worker(new URL(import.meta.url), { workerData: options });
  const replies: Array<(reply: { error?: string }) => void> = [];
  worker.on('message', (reply: { error?: string }) => replies.shift()?.(reply));
  worker.on('error', (error) => {
    for (const resolve of replies.splice(0)) resolve({ error: String(error) });
  });
  const ask = (command: Record<string, unknown>) =>
    new Promise<void>((resolve, reject) => {
      replies.push((reply) => (reply.error ? reject(new Error(reply.error)) : resolve()));
      worker.postMessage(command);
    });
  await ask({ cmd: 'open' });
  return {
    received: (count) => ask({ cmd: 'received', count }),
    close: async () => {
      await ask({ cmd: 'close' }).catch(() => {});
      await worker.terminate();
    },
  };
}

async function runWorker(options: CrowdOptions): Promise<void> {
  const sockets: WebSocket[] = [];
  const counts: number[] = [];
  let disorder: string | null = null;
  let waiting: { count: number; reply: (error?: string) => void } | null = null;
  const check = () => {
    if (waiting && (disorder !== null || counts.every((n) => n >= waiting!.count))) {
      const { reply } = waiting;
      waiting = null;
      reply(disorder ?? undefined);
    }
  };
  const open = async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < options.count) {
          const index = next++;
          counts[index] = 0;
          const socket = new WebSocket(options.url, { headers: { authorization: `Bearer ${options.token}` }, perMessageDeflate: false });
          socket.on('message', (data) => {
            const n = (JSON.parse(String(data)) as { n?: number }).n;
            if (n !== undefined && n !== counts[index])
              disorder ??= `client ${index}: message ${n} arrived as its message ${counts[index]! + 1}`;
            counts[index]!++;
            check();
          });
          socket.on('error', () => {});
          await new Promise<void>((resolve, reject) => {
            socket.once('open', () => resolve());
            socket.once('close', (code) => reject(new Error(`client ${index} closed with ${code} while connecting`)));
          });
          sockets.push(socket);
        }
      }),
    );
  };
  parentPort!.on('message', (command: { cmd: string; count?: number }) => {
    const reply = (error?: unknown) => parentPort!.postMessage(error ? { error: String(error) } : {});
    if (command.cmd === 'open') open().then(() => reply(), reply);
    else if (command.cmd === 'received') {
      waiting = { count: command.count!, reply };
      check();
    } else if (command.cmd === 'close') {
      for (const socket of sockets) socket.terminate();
      reply();
    }
  });
}

if (!isMainThread && (workerData as CrowdOptions | undefined)?.url) void runWorker(workerData as CrowdOptions);
