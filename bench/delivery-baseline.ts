/**
 * The bare baselines `npm run bench:delivery` measures Proof Ramp against, in a process of their own
 * (like the server, so neither shares the load generator's event loop): a plain `ws` server that
 * broadcasts strings to every connected client, a plain undici POST loop, and an independent
 * PostgreSQL LISTEN connection that timestamps each commit of the server under test (its NOTIFY).
 * Commands arrive as JSON lines on stdin; each gets one JSON line back on stdout, in order.
 * Times are wall-clock milliseconds with sub-millisecond resolution (timeOrigin + performance.now()),
 * comparable across processes on one machine.
 */
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { Agent, request } from 'undici';
import { WebSocketServer } from 'ws';

const now = () => performance.timeOrigin + performance.now();

let wss: WebSocketServer | null = null;
let listener: pg.Client | null = null;
let notified: Array<[string, number]> = [];
const agent = new Agent({ connections: 64 });

type Command =
  | { cmd: 'ws-start' }
  | { cmd: 'ws-stop' }
  | { cmd: 'ws-broadcast'; payloads: string[]; offsetsMs?: number[] }
  | { cmd: 'listen'; url: string; channel: string }
  | { cmd: 'notified' }
  | { cmd: 'probe-start'; url: string; token: string; count?: number }
  | { cmd: 'probe-stop' }
  | { cmd: 'post-sequential'; url: string; body: string; count: number; prefix: string }
  | { cmd: 'post-concurrent'; url: string; body: string; count: number; concurrency: number; prefix: string };

const post = (url: string, body: string, id: string) =>
  request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'ProofRamp-Webhooks/1',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      // The same size as a real signature; a bare loop does not compute it.
      'webhook-signature': `v1,${'A'.repeat(43)}=`,
    },
    body,
  }).then((response) => response.body.dump());

/**
 * A probe: GETs one after another (`count` of them, or until probe-stop), each timed from the call
 * to the end of its body, from this process, whose event loop has nothing else to do.
 */
let probe: { stop: boolean; samples: number[]; done: Promise<void> } | null = null;
const probeAgent = new Agent({ connections: 1 });

async function runProbe(url: string, token: string, count: number): Promise<void> {
  const current = probe!;
  while (!current.stop && current.samples.length < count) {
    const started = now();
    const response = await request(url, { dispatcher: probeAgent, headers: { authorization: `Bearer ${token}` } });
    await response.body.dump();
    if (response.statusCode !== 200) throw new Error(`probe: ${url} answered ${response.statusCode}`);
    current.samples.push(now() - started);
  }
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'ws-start': {
      wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 4096 });
      await new Promise<void>((resolve) => wss!.once('listening', () => resolve()));
      return { port: (wss.address() as AddressInfo).port };
    }
    case 'ws-stop': {
      for (const client of wss?.clients ?? []) client.terminate();
      await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
      wss = null;
      return {};
    }
    case 'ws-broadcast': {
      // Sends each payload to every client, at the given offsets from the first (the schedule the
      // server under test committed its changes on), or back to back.
      // Answers when each payload was due (its instant on the schedule, like a commit for the server
      // under test) and when the loop got round to sending it (later, once the sends fall behind).
      const sentAt: number[] = [];
      const dueAt: number[] = [];
      const start = now();
      for (let i = 0; i < command.payloads.length; i++) {
        const due = start + (command.offsetsMs?.[i] ?? 0);
        const wait = due - now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        dueAt.push(Math.min(due, now()));
        sentAt.push(now());
        for (const client of wss!.clients) client.send(command.payloads[i]!);
      }
      return { sentAt, dueAt };
    }
    case 'listen': {
      listener = new pg.Client({ connectionString: command.url });
      listener.on('notification', (message) => {
        const at = now();
        if (message.channel !== command.channel || !message.payload) return;
        const event = JSON.parse(message.payload) as { message: { merchant_transaction_id: string; status: string } };
        notified.push([`${event.message.merchant_transaction_id}/${event.message.status}`, at]);
      });
      await listener.connect();
      await listener.query(`listen "${command.channel}"`);
      return {};
    }
    case 'probe-start': {
      probe = { stop: false, samples: [], done: Promise.resolve() };
      probe.done = runProbe(command.url, command.token, command.count ?? Number.POSITIVE_INFINITY);
      probe.done.catch(() => {}); // reported by probe-stop
      if (command.count !== undefined) await probe.done;
      return {};
    }
    case 'probe-stop': {
      const current = probe!;
      current.stop = true;
      await current.done;
      probe = null;
      return { samples: current.samples };
    }
    case 'notified': {
      const entries = notified;
      notified = [];
      return { entries };
    }
    case 'post-sequential': {
      const sentAt: number[] = [];
      for (let i = 0; i < command.count; i++) {
        sentAt.push(now());
        await post(command.url, command.body, `${command.prefix}${i}`);
      }
      return { sentAt };
    }
    case 'post-concurrent': {
      let next = 0;
      const startedAt = now();
      await Promise.all(
        Array.from({ length: command.concurrency }, async () => {
          while (next < command.count) await post(command.url, command.body, `${command.prefix}${next++}`);
        }),
      );
      return { startedAt, endedAt: now() };
    }
  }
}

let queue: Promise<void> = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    try {
      process.stdout.write(`${JSON.stringify({ ok: true, ...((await handle(JSON.parse(line) as Command)) as object) })}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ ok: false, error: String(error) })}\n`);
    }
  });
});
process.stdin.on('end', async () => {
  await queue;
  await listener?.end().catch(() => {});
  await agent.close();
  await probeAgent.close();
  process.exit(0);
});
