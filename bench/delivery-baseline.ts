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
import pg from 'pg';
import { Agent, request } from 'undici';
import { WebSocketServer } from 'ws';
import { serveCommands } from './command-lines.ts';

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
  | { cmd: 'post-concurrent'; url: string; body: string; count: number; concurrency: number; prefix: string }
  | { cmd: 'post-durable'; url: string; body: string; count: number; concurrency: number; prefix: string; databaseUrl: string };

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
let probe: { stop: boolean; samples: number[]; startedAt: number[]; done: Promise<void> } | null = null;
const probeAgent = new Agent({ connections: 1 });

async function runProbe(url: string, token: string, count: number): Promise<void> {
  const current = probe!;
  while (!current.stop && current.samples.length < count) {
    const started = now();
    const response = await request(url, { dispatcher: probeAgent, headers: { authorization: `Bearer ${token}` } });
    await response.body.dump();
    if (response.statusCode !== 200) throw new Error(`probe: ${url} answered ${response.statusCode}`);
    current.samples.push(now() - started);
    current.startedAt.push(started);
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
      probe = { stop: false, samples: [], startedAt: [], done: Promise.resolve() };
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
      return { samples: current.samples, startedAt: current.startedAt };
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
    case 'post-durable':
      return postDurable(command);
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

serveCommands(handle, async () => {
  await listener?.end().catch(() => {});
  await agent.close();
  await probeAgent.close();
});

/**
 * The floor of a durable queue on this machine: the POST loop at the same concurrency, with the least
 * bookkeeping that survives a crash and keeps one node from sending what another has: each batch of
 * messages leased in one statement (FOR UPDATE SKIP LOCKED), each attempt inserted and its message
 * marked delivered, a batch of them per transaction, beside the sending. No signing, no ordering per
 * transaction, no retry schedule, no endpoint health: the part of Proof Ramp's worker that any
 * durable queue must pay for. In its own tables in the schema of `databaseUrl`, dropped after.
 */
async function postDurable(command: Extract<Command, { cmd: 'post-durable' }>): Promise<{ startedAt: number }> {
  const db = new pg.Pool({ connectionString: command.databaseUrl, max: 4 });
  try {
    await db.query(`drop table if exists bare_attempts; drop table if exists bare_queue;
      create table bare_queue (id text primary key, status text not null, lease_until timestamptz, attempts int not null default 0);
      create table bare_attempts (id bigserial primary key, message_id text not null references bare_queue (id), attempt int not null,
        status_code int, started_at timestamptz not null);
      create index on bare_attempts (message_id)`);
    await db.query(`insert into bare_queue (id, status) select $1 || g, 'pending' from generate_series(0, $2::int - 1) g`, [
      command.prefix,
      command.count,
    ]);
    const startedAt = now();
    const ready: Array<{ id: string; attempts: number }> = [];
    const finished: Array<{ id: string; attempts: number; status: number; at: Date }> = [];
    let inFlight = 0;
    let claiming = false;
    let recording: Promise<void> | null = null;
    let recorded = 0;
    let exhausted = false;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => reject(error);
      const record = () => {
        if (recording || finished.length === 0) return;
        const batch = finished.splice(0, 512);
        recording = (async () => {
          await db.query(
            `with v as (select * from unnest($1::text[], $2::int[], $3::int[], $4::timestamptz[]) as v(id, attempts, status_code, started_at)),
             attempts as (insert into bare_attempts (message_id, attempt, status_code, started_at) select id, attempts, status_code, started_at from v)
             update bare_queue q set status = 'delivered', lease_until = null from v where q.id = v.id and q.attempts = v.attempts`,
            [batch.map((f) => f.id), batch.map((f) => f.attempts), batch.map((f) => f.status), batch.map((f) => f.at)],
          );
          recorded += batch.length;
        })()
          .then(() => {
            recording = null;
            if (recorded === command.count) resolve();
            else {
              record();
              pump();
            }
          })
          .catch(fail);
      };
      const pump = () => {
        while (inFlight < command.concurrency && ready.length > 0) {
          const message = ready.shift()!;
          inFlight++;
          const at = new Date();
          post(command.url, command.body, message.id).then(() => {
            inFlight--;
            finished.push({ ...message, status: 200, at });
            record();
            pump();
          }, fail);
        }
        const room = 4 * command.concurrency - ready.length - inFlight;
        if (!claiming && !exhausted && room >= command.concurrency) {
          claiming = true;
          db.query<{ id: string; attempts: number }>(
            `update bare_queue set lease_until = now() + interval '1 minute', attempts = attempts + 1
             where id in (select id from bare_queue where status = 'pending' and (lease_until is null or lease_until < now())
               order by id limit $1 for update skip locked)
             returning id, attempts`,
            [room],
          ).then((result) => {
            claiming = false;
            if (result.rows.length === 0) exhausted = true;
            ready.push(...result.rows);
            pump();
          }, fail);
        }
      };
      pump();
    });
    return { startedAt };
  } finally {
    await db.query('drop table if exists bare_attempts; drop table if exists bare_queue').catch(() => {});
    await db.end();
  }
}
