/**
 * npm run bench:delivery — status delivery, each figure beside a bare baseline measured in the same run:
 *
 * 1. WebSocket fan-out: SUBSCRIBERS open `/ws?user_id=` subscriptions on one `proof serve` node, all
 *    for the same user, so every change goes to all of them. Latency from the commit to each
 *    client's receipt, for single updates (one at a time) and for a burst of changes. Baseline: a
 *    bare `ws` server broadcasting the same payloads to the same number of clients, on the same
 *    schedule, timed from the instant each payload was due on it (as the node's receipts count from
 *    the commit), and also from its send call (which leaves out the bare server's own backlog).
 *    A probe in a process of its own times `GET /widget/transactions/{id}`, one call after another,
 *    with the subscribers connected and idle, while the node fans the burst out, and (the control:
 *    what the machine's contention alone does to a read) while the bare server fans it out.
 * 2. Webhooks: throughput draining a backlog, and commit-to-first-attempt latency, to a local
 *    receiver. Baseline: a bare undici POST loop with the same body and the worker's concurrency;
 *    on PostgreSQL also that loop leasing and recording each message there, the floor of any
 *    durable queue on the machine.
 *
 * The server under test is the real binary in its own process; the baselines run in another
 * (delivery-baseline.ts), the WebSocket clients in a third (delivery-subscribers.ts, by default at
 * nice 10: they stand for clients on other machines, see CLIENT_NICENESS); this process holds the
 * webhook receiver. On PostgreSQL (fresh
 * schema, dropped after) the commit instant is when an independent LISTEN connection sees the
 * change's NOTIFY; the embedded database has no NOTIFY, so there it is when the status call was
 * sent (an upper bound: it adds the HTTP call and the database transaction).
 * Writes the figures to docs/benchmarks.md. A benchmark, not a test: nothing here passes or fails.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { eventChannel } from '../packages/server/src/bootstrap.ts';
import { sandboxPartnerInput } from '../packages/server/src/modules/partners/sandbox-partner.ts';
import { freePort } from '../packages/server/test/helpers/net.ts';
import { startWebhookReceiver } from '../packages/server/test/helpers/webhook-receiver.ts';
import { type ClaimProbe, probeClaims } from './claim-probe.ts';
import { cpuPerItem, cpuSpent, sampleCpu } from './cpu.ts';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 5000);
/**
 * The WebSocket clients' CPU priority (nice): they stand for clients on other machines, so by default
 * they take only the CPU the servers under test and the read probe leave; 0 runs them alongside.
 */
const CLIENT_NICENESS = Number(process.env.BENCH_CLIENT_NICENESS ?? 10);
const SINGLE_UPDATES = Number(process.env.BENCH_SINGLE_UPDATES ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 100);
const BURST_CONCURRENCY = 10;
const WEBHOOK_SAMPLE = Number(process.env.BENCH_WEBHOOK_SAMPLE ?? 200);
const WEBHOOK_BACKLOG = Number(process.env.BENCH_WEBHOOKS ?? 10000);
/** The webhook worker keeps up to 64 attempts in flight per node; the baseline loop uses as many. */
const WORKER_CONCURRENCY = 64;
const WAIT_MS = 120_000;
/** Which parts to run: `websocket`, `webhooks` (both by default). docs/benchmarks.md is written only when both ran. */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'websocket,webhooks').split(',').map((part) => part.trim()));
const ALL_PARTS = PARTS.has('websocket') && PARTS.has('webhooks');
const PROBE_IDLE = 1000;
const postgresUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN_TOKEN = `adm_bench_${randomBytes(12).toString('hex')}`;
const BIN = new URL('../packages/server/bin/proof.js', import.meta.url).pathname;
const STEPS = ['processing', 'completed'] as const;
const now = () => performance.timeOrigin + performance.now();
const log = (line: string) => console.log(line);

if (process.argv.includes('--help')) {
  log(
    [
      'npm run bench:delivery — WebSocket fan-out and webhook delivery of `proof serve`, each beside a bare baseline; writes docs/benchmarks.md.',
      `Environment: BENCH_SUBSCRIBERS (${SUBSCRIBERS}), BENCH_SINGLE_UPDATES (${SINGLE_UPDATES}), BENCH_BURST (${BURST}),`,
      `BENCH_WEBHOOK_SAMPLE (${WEBHOOK_SAMPLE}), BENCH_WEBHOOKS (${WEBHOOK_BACKLOG}), BENCH_DATABASE_URL (${postgresUrl}), BENCH_PGLITE=false to skip PGlite,`,
      `BENCH_PARTS (websocket,webhooks; docs/benchmarks.md is written only when both run), BENCH_CLIENT_NICENESS (${CLIENT_NICENESS}: the WebSocket clients' CPU priority).`,
    ].join('\n'),
  );
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Small tools

async function lanes<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function api(url: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method: options.body === undefined ? 'GET' : 'POST',
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function must(url: string, options: { token?: string; body?: unknown }, expected = 200): Promise<any> {
  const result = await api(url, options);
  if (result.status !== expected) throw new Error(`${url}: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

async function until(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

function stats(samples: number[]): Stats {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

// ---------------------------------------------------------------------------------------------
// The processes: proof serve, and the baseline helper

interface Proof {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

async function startProof(env: Record<string, string>): Promise<Proof> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), BIN, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      ADMIN_TOKEN,
      SIGNING_SECRET: randomBytes(32).toString('base64url'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'error',
      SANDBOX_TOOLS: 'true',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WS_MAX_CONNECTIONS_PER_TOKEN: String(SUBSCRIBERS + 100),
      RATE_LIMIT_PER_MINUTE: '100000000',
      // The throughput run holds the receiver's first answers while the backlog builds up.
      WEBHOOK_TIMEOUT: '120s',
      // e.g. BENCH_SERVER_NODE_OPTIONS=--cpu-prof to profile the server under test (options Node
      // refuses there, such as V8's, go in BENCH_SERVER_NODE_ARGS, on its command line)
      ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
      // e.g. BENCH_WS_PROCESS=inline to measure WebSockets served on the API's own event loop
      ...(process.env.BENCH_WS_PROCESS ? { WS_PROCESS: process.env.BENCH_WS_PROCESS } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proof serve did not start:\n${output}`)), 90_000);
    child.stdout!.on('data', () => {
      if (output.includes('Proof Ramp listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`proof serve exited:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      // e.g. with BENCH_SERVER_NODE_ARGS=--import=<a module that logs long collections>
      if (process.env.BENCH_SERVER_OUTPUT) writeFileSync(process.env.BENCH_SERVER_OUTPUT, output);
    },
  };
}

interface Helper {
  pid: number | undefined;
  call<T = any>(command: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** A helper process (`script` beside this one) answering JSON-line commands, at `niceness` (Linux's `nice`). */
function startHelper(script: string, niceness = 0): Helper {
  const node = [process.execPath, new URL(script, import.meta.url).pathname];
  const [command, ...args] = niceness > 0 ? ['nice', '-n', String(niceness), ...node] : node;
  const child: ChildProcess = spawn(command!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid,
    call: (command) =>
      new Promise((resolve, reject) => {
        waiting.push((line) => {
          const reply = JSON.parse(line);
          if (reply.ok) resolve(reply);
          else reject(new Error(`baseline ${String(command.cmd)}: ${reply.error}`));
        });
        child.stdin!.write(`${JSON.stringify(command)}\n`);
      }),
    stop: async () => {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// WebSocket clients: many connections, every receipt timestamped, in their own process
// (delivery-subscribers.ts), at the CPU priority BENCH_CLIENT_NICENESS gives it

class Subscribers {
  private readonly helper: Helper;

  constructor(helper: Helper) {
    this.helper = helper;
  }

  async connect(url: string, count: number, headers: Record<string, string>): Promise<number> {
    return (await this.helper.call<{ ms: number }>({ cmd: 'connect', url, count, headers })).ms;
  }

  async waitFor(keys: string[], count: number): Promise<void> {
    await this.helper.call({ cmd: 'wait', keys, count, timeoutMs: WAIT_MS });
  }

  /** Every receipt time of each message, by its key (merchant_transaction_id/status). */
  async times(keys: string[]): Promise<Map<string, number[]>> {
    const { times } = await this.helper.call<{ times: number[][] }>({ cmd: 'times', keys });
    return new Map(keys.map((key, i) => [key, times[i]!]));
  }

  /** Each message's text as the clients received it. */
  async texts(keys: string[]): Promise<string[]> {
    return (await this.helper.call<{ texts: string[] }>({ cmd: 'texts', keys })).texts;
  }

  async reset(): Promise<void> {
    await this.helper.call({ cmd: 'reset' });
  }

  async close(): Promise<void> {
    await this.helper.call({ cmd: 'close' });
  }
}

// ---------------------------------------------------------------------------------------------
// The webhook receiver (the tests' one): keeps each change's and each webhook-id's first arrival;
// can hold its answers

async function startReceiver() {
  const keys = new Map<string, number>(); // merchant_transaction_id/status (or webhook-id) → first arrival
  const ids = new Map<string, number>();
  let held: ServerResponse[] | null = null;
  let sample = '';
  const receiver = await startWebhookReceiver({
    respond: (hook, res) => {
      let key = hook.id;
      if (hook.path === '/proof') {
        key = `${hook.json.merchant_transaction_id}/${hook.json.status}`;
        sample ||= hook.body;
      }
      if (!keys.has(key)) keys.set(key, hook.receivedAt);
      if (!ids.has(hook.id)) ids.set(hook.id, hook.receivedAt);
      if (held) held.push(res);
      else res.writeHead(204).end();
    },
  });
  return {
    url: receiver.url,
    keys,
    ids,
    sample: () => sample,
    hold: () => (held = []),
    release: () => {
      const answering = held ?? [];
      held = null;
      for (const res of answering) res.writeHead(204).end();
      return answering.length;
    },
    close: () => receiver.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// The measurements

interface Pair {
  proof: Stats;
  baseline: Stats;
}

interface Result {
  label: string;
  /** The machine's 1-minute load average before the run: other work on it shows here. */
  load: number;
  /** Messages per second from the first commit of the burst to its last receipt; baseline back to back. */
  fanOutRate: { proof: number; baseline: number };
  connectMs: { proof: number; baseline: number };
  statusCall: Stats;
  quietStatusCall: Stats;
  single: Pair;
  /** The bare burst timed from its schedule (`baseline`) and, as earlier runs did, from each send call. */
  burst: Pair & { baselineFromSend: Stats; proofSpanMs: number };
  /**
   * GET /widget/transactions/{id}, one after another: subscribers connected and idle, during the
   * node's burst (and the same reads split at the last status call's answer), and (the control)
   * during the bare server's burst, while the node has nothing to send.
   */
  read: { idle: Stats; duringBurst: Stats; duringBareBurst: Stats; whileChanging: Stats; afterChanges: Stats };
  webhookLatency: Pair;
  /** `durable`: the bare loop leasing and recording in PostgreSQL (post-durable), PostgreSQL only. */
  webhookThroughput: { proof: number; baseline: number; durable: number | null; bodyBytes: number; drained: number };
  /** Where the CPU went, per delivery: the drain, the bare loop, the floor. */
  webhookCpu: { proof: string; baseline: string; durable: string | null };
  /** PostgreSQL only: the claim's time with nothing blocked and with messages waiting behind failing ones. */
  claims: ClaimProbe | null;
}

async function measure(
  label: string,
  env: Record<string, string>,
  baseline: Helper,
  listenUrl: string | null,
  pgSchema: string | null = null,
): Promise<Result> {
  const load = loadavg()[0]!;
  log(`\n== ${label} (load average ${load.toFixed(2)})`);
  const proof = await startProof(env);
  const receiver = await startReceiver();
  const receiverUrl = receiver.url;
  const subscribers = new Subscribers(clients);
  try {
    const move = (id: string, status: string) =>
      must(`${proof.url}/admin/sandbox/transactions/${id}/status`, { token: ADMIN_TOKEN, body: { status } });
    const partner = (webhookUrl?: string) =>
      must(
        `${proof.url}/admin/partners`,
        {
          token: ADMIN_TOKEN,
          body: { ...sandboxPartnerInput('http://localhost:8080'), ...(webhookUrl ? { webhook_url: webhookUrl } : {}) },
        },
        201,
      );
    const sessions = async (token: string, count: number, user: (i: number) => string) => {
      const ids: string[] = new Array(count);
      await lanes(
        Array.from({ length: count }, (_, i) => i),
        10,
        async (i) => {
          ids[i] = (
            await must(`${proof.url}/widget/session`, {
              token,
              body: { partner_user_id: user(i), user_email: `${user(i)}@example.com`, currency: 'USDT', network: 'TRC20', amount: '100' },
            })
          ).merchant_transaction_id;
        },
      );
      return ids;
    };
    // When each change committed: the NOTIFY seen by the baseline process's own LISTEN (PostgreSQL),
    // or when the status call was sent (embedded database).
    const calledAt = new Map<string, number>();
    const commits = async (): Promise<Map<string, number>> => {
      if (!listenUrl) return calledAt;
      const { entries } = await baseline.call<{ entries: Array<[string, number]> }>({ cmd: 'notified' });
      return new Map(entries);
    };
    const commitOf = (committed: Map<string, number>, key: string) => {
      const at = committed.get(key);
      if (at === undefined) throw new Error(`no commit time for ${key}`);
      return at;
    };

    // --- 1. WebSocket fan-out ------------------------------------------------------------------
    const wsPartner = await partner();
    let result: Omit<Result, 'webhookLatency' | 'webhookThroughput' | 'webhookCpu' | 'quietStatusCall' | 'claims'> | null = null;
    if (PARTS.has('websocket')) {
      const user = `fanout-${randomBytes(3).toString('hex')}`;
      const [first] = await sessions(wsPartner.client_token, 1, () => user);
      const proofConnectMs = await subscribers.connect(`${proof.url.replace('http', 'ws')}/ws?user_id=${user}`, SUBSCRIBERS, {
        authorization: `Bearer ${wsPartner.client_token}`,
      });
      await subscribers.waitFor([`${first}/pending`], SUBSCRIBERS); // everyone subscribed and got the current state
      log(`${SUBSCRIBERS} subscriptions open in ${(proofConnectMs / 1000).toFixed(1)} s`);
      // Created after subscribing, so the subscriptions' initial state stays one message each.
      const singleTxs = await sessions(wsPartner.client_token, Math.ceil(SINGLE_UPDATES / 2), () => user);
      const burstTxs = await sessions(wsPartner.client_token, Math.ceil(BURST / 2), () => user);
      await commits(); // forget notifications so far

      // The read probe, idle: subscribers connected, nothing being sent.
      const probeTarget = { url: `${proof.url}/widget/transactions/${first}`, token: wsPartner.client_token };
      await prober.call({ cmd: 'probe-start', ...probeTarget, count: PROBE_IDLE });
      const readIdle = stats((await prober.call<{ samples: number[] }>({ cmd: 'probe-stop' })).samples);
      log(`proof    GET /widget/transactions/{id} idle: p50 ${ms(readIdle.p50)} ms, p99 ${ms(readIdle.p99)} ms (${readIdle.n})`);

      const singleKeys: string[] = [];
      const callMs: number[] = [];
      for (const id of singleTxs) {
        for (const status of STEPS) {
          const key = `${id}/${status}`;
          calledAt.set(key, now());
          await move(id, status);
          callMs.push(now() - calledAt.get(key)!);
          await subscribers.waitFor([key], SUBSCRIBERS);
          singleKeys.push(key);
        }
      }
      const burstKeys: string[] = [];
      const cpuRoots = { node: proof.pid, clients: clients.pid, prober: prober.pid };
      const burstCpuBefore = sampleCpu(cpuRoots);
      await prober.call({ cmd: 'probe-start', ...probeTarget });
      await lanes(burstTxs, BURST_CONCURRENCY, async (id) => {
        for (const status of STEPS) {
          const key = `${id}/${status}`;
          burstKeys.push(key);
          calledAt.set(key, now());
          await move(id, status);
        }
      });
      const changesMadeAt = now();
      await subscribers.waitFor(burstKeys, SUBSCRIBERS);
      const burstReads = await prober.call<{ samples: number[]; startedAt: number[] }>({ cmd: 'probe-stop' });
      const readDuringBurst = stats(burstReads.samples);
      // The same reads split at the last status call's answer: while the changes were being made
      // (and fanned out), and after, when only the fan-out was left.
      const readWhileChanging = stats(burstReads.samples.filter((_, i) => burstReads.startedAt[i]! < changesMadeAt));
      const readAfterChanges = stats(burstReads.samples.filter((_, i) => burstReads.startedAt[i]! >= changesMadeAt));
      const burstCpu = cpuSpent(burstCpuBefore, sampleCpu(cpuRoots));
      const committed = await commits();
      const latencies = (times: Map<string, number[]>, keys: string[], start: (key: string) => number) =>
        keys.flatMap((key) => times.get(key)!.map((at) => at - start(key)));
      const proofTimes = await subscribers.times([...singleKeys, ...burstKeys]);
      const single = stats(latencies(proofTimes, singleKeys, (key) => commitOf(committed, key)));
      const burst = stats(latencies(proofTimes, burstKeys, (key) => commitOf(committed, key)));
      const burstOrder = [...burstKeys].sort((a, b) => commitOf(committed, a) - commitOf(committed, b));
      const burstStart = commitOf(committed, burstOrder[0]!);
      const burstSpan = commitOf(committed, burstOrder.at(-1)!) - burstStart;
      const lastReceipt = (times: Map<string, number[]>, keys: string[]) => Math.max(...keys.map((key) => Math.max(...times.get(key)!)));
      const proofBurstLast = lastReceipt(proofTimes, burstKeys);
      const singleTexts = await subscribers.texts(singleKeys);
      const burstTexts = await subscribers.texts(burstOrder);
      log(
        `proof    single updates: p50 ${ms(single.p50)} ms, p99 ${ms(single.p99)} ms (${single.n} receipts); status call p50 ${ms(stats(callMs).p50)} ms`,
      );
      log(
        `proof    burst of ${BURST} (committed over ${burstSpan.toFixed(0)} ms): p50 ${ms(burst.p50)} ms, p99 ${ms(burst.p99)} ms (${burst.n} receipts)`,
      );
      log(`proof    during the burst: ${burstCpu}`);
      log(
        `proof    GET /widget/transactions/{id} during the burst: p50 ${ms(readDuringBurst.p50)} ms, p99 ${ms(readDuringBurst.p99)} ms (${readDuringBurst.n}); ${(readDuringBurst.p99 / readIdle.p99).toFixed(2)}× the idle p99`,
      );
      log(
        `proof      while the changes were being made: p50 ${ms(readWhileChanging.p50)} ms, p99 ${ms(readWhileChanging.p99)} ms (${readWhileChanging.n}); after, the fan-out alone: p50 ${ms(readAfterChanges.p50)} ms, p99 ${ms(readAfterChanges.p99)} ms (${readAfterChanges.n})`,
      );
      await subscribers.close();

      // Baseline: the same payloads, the same number of clients, the same schedule.
      const { port } = await baseline.call<{ port: number }>({ cmd: 'ws-start' });
      const baselineConnectMs = await subscribers.connect(`ws://127.0.0.1:${port}/`, SUBSCRIBERS, {});
      const warmup = JSON.stringify({ event: 'warmup', merchant_transaction_id: 'warmup', status: 'ready' });
      await baseline.call({ cmd: 'ws-broadcast', payloads: [warmup] });
      await subscribers.waitFor(['warmup/ready'], SUBSCRIBERS);
      const sentAt = new Map<string, number>();
      for (const [i, text] of singleTexts.entries()) {
        const reply = await baseline.call<{ sentAt: number[] }>({ cmd: 'ws-broadcast', payloads: [text] });
        sentAt.set(singleKeys[i]!, reply.sentAt[0]!);
        await subscribers.waitFor([singleKeys[i]!], SUBSCRIBERS);
      }
      // The control: the same read of the (now idle) node while the bare server fans the burst out,
      // which is what the machine's contention alone (the clients, the bare server) does to a read.
      await prober.call({ cmd: 'probe-start', ...probeTarget });
      const burstReply = await baseline.call<{ sentAt: number[]; dueAt: number[] }>({
        cmd: 'ws-broadcast',
        payloads: burstTexts,
        offsetsMs: burstOrder.map((key) => commitOf(committed, key) - burstStart),
      });
      const dueAt = new Map<string, number>();
      for (const [i, key] of burstOrder.entries()) {
        sentAt.set(key, burstReply.sentAt[i]!);
        dueAt.set(key, burstReply.dueAt[i]!);
      }
      await subscribers.waitFor(burstOrder, SUBSCRIBERS);
      const readDuringBareBurst = stats((await prober.call<{ samples: number[] }>({ cmd: 'probe-stop' })).samples);
      const baseTimes = await subscribers.times([...singleKeys, ...burstKeys]);
      const baseSingle = stats(latencies(baseTimes, singleKeys, (key) => sentAt.get(key)!));
      // From the instant each payload was due on the schedule, as Proof Ramp's receipts count from the
      // commit: a bare server that falls behind its schedule is charged for it, as the node is.
      const baseBurst = stats(latencies(baseTimes, burstKeys, (key) => dueAt.get(key)!));
      const baseBurstFromSend = stats(latencies(baseTimes, burstKeys, (key) => sentAt.get(key)!));
      const proofRate = (burstKeys.length * SUBSCRIBERS) / ((proofBurstLast - burstStart) / 1000);
      // Capacity: the same payloads again, back to back, no schedule.
      await subscribers.reset();
      const backToBack = await baseline.call<{ sentAt: number[] }>({ cmd: 'ws-broadcast', payloads: burstTexts });
      await subscribers.waitFor(burstOrder, SUBSCRIBERS);
      const baselineRate =
        (burstKeys.length * SUBSCRIBERS) / ((lastReceipt(await subscribers.times(burstOrder), burstOrder) - backToBack.sentAt[0]!) / 1000);
      log(
        `fan-out capacity: proof ${proofRate.toFixed(0)} messages/s (burst, first commit to last receipt), bare ws back to back ${baselineRate.toFixed(0)} messages/s`,
      );
      log(`baseline single updates: p50 ${ms(baseSingle.p50)} ms, p99 ${ms(baseSingle.p99)} ms`);
      log(
        `baseline burst of ${BURST}: p50 ${ms(baseBurst.p50)} ms, p99 ${ms(baseBurst.p99)} ms from the schedule (from each send call: p50 ${ms(baseBurstFromSend.p50)} ms, p99 ${ms(baseBurstFromSend.p99)} ms)`,
      );
      log(
        `control  GET /widget/transactions/{id} of the idle node during the bare burst: p50 ${ms(readDuringBareBurst.p50)} ms, p99 ${ms(readDuringBareBurst.p99)} ms (${readDuringBareBurst.n}); ${(readDuringBareBurst.p99 / readIdle.p99).toFixed(2)}× the idle p99`,
      );
      log(`burst p99 ratio ${(burst.p99 / baseBurst.p99).toFixed(2)}×, p50 ratio ${(burst.p50 / baseBurst.p50).toFixed(2)}×`);
      await subscribers.close();
      await baseline.call({ cmd: 'ws-stop' });
      result = {
        label,
        load,
        fanOutRate: { proof: proofRate, baseline: baselineRate },
        connectMs: { proof: proofConnectMs, baseline: baselineConnectMs },
        statusCall: stats(callMs),
        single: { proof: single, baseline: baseSingle },
        burst: { proof: burst, baseline: baseBurst, baselineFromSend: baseBurstFromSend, proofSpanMs: burstSpan },
        read: {
          idle: readIdle,
          duringBurst: readDuringBurst,
          duringBareBurst: readDuringBareBurst,
          whileChanging: readWhileChanging,
          afterChanges: readAfterChanges,
        },
      };
    }
    if (!PARTS.has('webhooks')) return result as Result;

    // --- 2. Webhooks ---------------------------------------------------------------------------
    const hookPartner = await partner(`${receiverUrl}/proof`);
    const sampleTxs = await sessions(hookPartner.client_token, Math.ceil(WEBHOOK_SAMPLE / 2), (i) => `hooks-${i % 50}`);
    const backlogTxs = await sessions(hookPartner.client_token, Math.ceil(WEBHOOK_BACKLOG / 2), (i) => `backlog-${i % 50}`);
    await commits();

    // Latency: one change at a time, the next once the previous one arrived.
    const sampleKeys: string[] = [];
    const quietCallMs: number[] = []; // the status call with no WebSocket subscriber connected
    for (const id of sampleTxs) {
      for (const status of STEPS) {
        const key = `${id}/${status}`;
        calledAt.set(key, now());
        await move(id, status);
        quietCallMs.push(now() - calledAt.get(key)!);
        await until(
          () => receiver.keys.has(key),
          30_000,
          () => `webhook ${key}`,
        );
        sampleKeys.push(key);
      }
    }
    const sampleCommits = await commits();
    const hookLatency = stats(sampleKeys.map((key) => receiver.keys.get(key)! - commitOf(sampleCommits, key)));
    log(
      `proof    webhook commit-to-first-attempt: p50 ${ms(hookLatency.p50)} ms, p99 ${ms(hookLatency.p99)} ms (${hookLatency.n} changes, one at a time)`,
    );

    // Throughput: the receiver holds its answers (so the worker's slots are all taken) while
    // the backlog is committed, then answers everything and the worker drains the outbox.
    receiver.hold();
    const backlogKeys = backlogTxs.flatMap((id) => STEPS.map((status) => `${id}/${status}`));
    await lanes(backlogTxs, 10, async (id) => {
      for (const status of STEPS) await move(id, status);
    });
    const cpuBefore = sampleCpu({ node: proof.pid });
    const releasedAt = now();
    const heldCount = receiver.release();
    // Arrivals are never undone, so each check starts where the last one stopped: the wait costs
    // this process (the receiver's) no more than the baseline loops' wait does.
    let arrived = 0;
    await until(
      () => {
        while (arrived < backlogKeys.length && receiver.keys.has(backlogKeys[arrived]!)) arrived++;
        return arrived === backlogKeys.length;
      },
      WAIT_MS,
      () => `${backlogKeys.filter((key) => receiver.keys.has(key)).length} of ${backlogKeys.length} backlog webhooks`,
    );
    const drained = backlogKeys.filter((key) => receiver.keys.get(key)! > releasedAt);
    const lastAt = Math.max(...drained.map((key) => receiver.keys.get(key)!));
    const hookRate = drained.length / ((lastAt - releasedAt) / 1000);
    const hookCpu = cpuPerItem(cpuBefore, sampleCpu({ node: proof.pid }), drained.length);
    log(
      `proof    webhook backlog of ${backlogKeys.length} (${heldCount} held): ${drained.length} drained in ${(lastAt - releasedAt).toFixed(0)} ms = ${hookRate.toFixed(0)}/s`,
    );
    log(`proof    CPU per delivery: ${hookCpu}`);
    await commits();

    // Baseline: the same body, one at a time, then WORKER_CONCURRENCY at a time.
    const body = receiver.sample();
    const prefix = `base_${label}_`;
    const sequential = await baseline.call<{ sentAt: number[] }>({
      cmd: 'post-sequential',
      url: `${receiverUrl}/base`,
      body,
      count: WEBHOOK_SAMPLE,
      prefix: `${prefix}s`,
    });
    const baseLatency = stats(sequential.sentAt.map((at, i) => receiver.ids.get(`${prefix}s${i}`)! - at));
    // A baseline loop over a backlog (post-concurrent or post-durable): deliveries per second from its
    // start to the receiver's last arrival.
    const backlogRate = async (command: Record<string, unknown>, ids: string): Promise<{ rate: number; cpu: string }> => {
      const cpuBefore = sampleCpu({ loop: baseline.pid });
      const { startedAt } = await baseline.call<{ startedAt: number }>({
        ...command,
        url: `${receiverUrl}/base`,
        body,
        count: WEBHOOK_BACKLOG,
        concurrency: WORKER_CONCURRENCY,
        prefix: ids,
      });
      const last = Math.max(...Array.from({ length: WEBHOOK_BACKLOG }, (_, i) => receiver.ids.get(`${ids}${i}`)!));
      const cpu = cpuPerItem(cpuBefore, sampleCpu({ loop: baseline.pid }), WEBHOOK_BACKLOG);
      log(`baseline ${String(command.cmd)}: CPU per delivery: ${cpu}`);
      return { rate: WEBHOOK_BACKLOG / ((last - startedAt) / 1000), cpu };
    };
    const { rate: baseRate, cpu: baseCpu } = await backlogRate({ cmd: 'post-concurrent' }, `${prefix}c`);
    log(
      `baseline POST one at a time: p50 ${ms(baseLatency.p50)} ms, p99 ${ms(baseLatency.p99)} ms; ${WEBHOOK_BACKLOG} at ${WORKER_CONCURRENCY} concurrent: ${baseRate.toFixed(0)}/s`,
    );
    // The floor of any durable queue here: the same loop, leasing and recording in PostgreSQL.
    let durableRate: number | null = null;
    let durableCpu: string | null = null;
    if (env.DATABASE_URL) {
      const durable = await backlogRate({ cmd: 'post-durable', databaseUrl: env.DATABASE_URL }, `${prefix}d`);
      durableRate = durable.rate;
      durableCpu = durable.cpu;
      log(
        `baseline durable loop (lease and record in PostgreSQL, nothing else): ${durable.rate.toFixed(0)}/s, ${(durable.rate / baseRate).toFixed(2)}× the bare loop`,
      );
    }

    // The claim against messages blocked behind failing ones, in this server's schema.
    let claims: ClaimProbe | null = null;
    if (pgSchema) {
      claims = await probeClaims(postgresUrl, pgSchema, hookPartner.partner_id);
      const [bare, blocked, idle] = [stats(claims.bare), stats(claims.withBlocked), stats(claims.idleWithBlocked)];
      log(
        `proof    claim of up to 64 due heads: p50 ${ms(bare.p50)} / p99 ${ms(bare.p99)} ms with nothing blocked; ${ms(blocked.p50)} / ${ms(blocked.p99)} ms with ${claims.blocked} blocked; nothing due: ${ms(idle.p50)} / ${ms(idle.p99)} ms`,
      );
    }

    return {
      claims,
      ...(result as Omit<Result, 'webhookLatency' | 'webhookThroughput' | 'webhookCpu' | 'quietStatusCall' | 'claims'>),
      quietStatusCall: stats(quietCallMs),
      webhookLatency: { proof: hookLatency, baseline: baseLatency },
      webhookCpu: { proof: hookCpu, baseline: baseCpu, durable: durableCpu },
      webhookThroughput: {
        proof: hookRate,
        baseline: baseRate,
        durable: durableRate,
        bodyBytes: Buffer.byteLength(body),
        drained: drained.length,
      },
    };
  } finally {
    await subscribers.close().catch(() => {});
    await receiver.close();
    await proof.stop();
  }
}

async function postgresSchema(): Promise<{ schema: string; version: string; drop(): Promise<void> } | null> {
  const client = new pg.Client({ connectionString: postgresUrl });
  try {
    await client.connect();
  } catch {
    log(`PostgreSQL at ${postgresUrl} does not answer; measuring the embedded database only.`);
    return null;
  }
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  await client.query(`create schema ${schema}`);
  const version = String((await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version).split(' ')[0]!;
  await client.end();
  return {
    schema,
    version,
    drop: async () => {
      const dropper = new pg.Client({ connectionString: postgresUrl });
      await dropper.connect();
      await dropper.query(`drop schema if exists ${schema} cascade`);
      await dropper.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------

const fdLimit = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
log(`open files limit (ulimit -n): ${fdLimit}; this process holds ${SUBSCRIBERS} client sockets, the server as many`);
if (fdLimit !== 'unlimited' && Number(fdLimit) < SUBSCRIBERS + 1000) {
  console.error(`ulimit -n is ${fdLimit}: raise it (ulimit -n ${SUBSCRIBERS + 2000}) or set BENCH_SUBSCRIBERS lower.`);
  process.exit(1);
}

const runStarted = Date.now();
const baseline = startHelper('./delivery-baseline.ts');
/** The read probe's own process, so that it times reads the same way while the bare server is busy broadcasting. */
const prober = startHelper('./delivery-baseline.ts');
const clients = startHelper('./delivery-subscribers.ts', CLIENT_NICENESS);
const results: Result[] = [];
let postgresVersion: string | null = null;
try {
  const pgSchema = await postgresSchema();
  if (pgSchema) {
    postgresVersion = pgSchema.version;
    try {
      await baseline.call({ cmd: 'listen', url: postgresUrl, channel: eventChannel(pgSchema.schema) });
      const url = `${postgresUrl}${postgresUrl.includes('?') ? '&' : '?'}options=-c%20search_path%3D${pgSchema.schema}`;
      const dataDir = mkdtempSync(join(tmpdir(), 'proof-bench-'));
      try {
        results.push(await measure('PostgreSQL', { DATABASE_URL: url, DATA_DIR: dataDir }, baseline, postgresUrl, pgSchema.schema));
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    } finally {
      await pgSchema.drop();
    }
  }
  if (process.env.BENCH_PGLITE !== 'false') {
    const dataDir = mkdtempSync(join(tmpdir(), 'proof-bench-'));
    try {
      results.push(await measure('PGlite', { DATA_DIR: dataDir }, baseline, null));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
} finally {
  await Promise.all([baseline.stop(), prober.stop(), clients.stop()]);
}
const elapsed = (Date.now() - runStarted) / 1000;
log(`\nwhole run ${elapsed.toFixed(0)} s`);
if (!ALL_PARTS) {
  log(`Only ${[...PARTS].join(', ')} ran (BENCH_PARTS): docs/benchmarks.md left as it is.`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// docs/benchmarks.md

const ratio = (a: number, b: number) => `**${(a / b).toFixed(a / b < 0.1 ? 2 : 1)}×**`;
const wsRows = results.flatMap((r) => {
  const from = r.label === 'PGlite' ? 'status call sent' : 'commit (NOTIFY)';
  return [
    `| ${r.label} | single updates (${SINGLE_UPDATES}, one at a time) | ${from} | ${ms(r.single.proof.p50)} | ${ms(r.single.proof.p99)} | ${ms(r.single.baseline.p50)} | ${ms(r.single.baseline.p99)} | ${ratio(r.single.proof.p50, r.single.baseline.p50)} | ${ratio(r.single.proof.p99, r.single.baseline.p99)} | ${r.single.proof.n} |`,
    `| ${r.label} | burst (${BURST} changes over ${r.burst.proofSpanMs.toFixed(0)} ms) | ${from} | ${ms(r.burst.proof.p50)} | ${ms(r.burst.proof.p99)} | ${ms(r.burst.baseline.p50)} | ${ms(r.burst.baseline.p99)} | ${ratio(r.burst.proof.p50, r.burst.baseline.p50)} | ${ratio(r.burst.proof.p99, r.burst.baseline.p99)} | ${r.burst.proof.n} |`,
  ];
});
const hookRows = results.flatMap((r) => [
  `| ${r.label} | throughput, backlog of ${WEBHOOK_BACKLOG} (deliveries/s) | ${r.webhookThroughput.proof.toFixed(0)} | ${r.webhookThroughput.baseline.toFixed(0)} | **${(r.webhookThroughput.proof / r.webhookThroughput.baseline).toFixed(2)}×** |`,
  ...(r.webhookThroughput.durable === null
    ? []
    : [
        `| ${r.label} | the floor: the bare loop leasing and recording in PostgreSQL (deliveries/s; baseline: the bare loop) | ${r.webhookThroughput.durable.toFixed(0)} | ${r.webhookThroughput.baseline.toFixed(0)} | ${(r.webhookThroughput.durable / r.webhookThroughput.baseline).toFixed(2)}× (Proof Ramp: ${(r.webhookThroughput.proof / r.webhookThroughput.durable).toFixed(2)}× the floor) |`,
      ]),
  `| ${r.label} | ${r.label === 'PGlite' ? 'status call' : 'commit'} to first attempt, p50 / p99 ms (${WEBHOOK_SAMPLE}, one at a time) | ${ms(r.webhookLatency.proof.p50)} / ${ms(r.webhookLatency.proof.p99)} | ${ms(r.webhookLatency.baseline.p50)} / ${ms(r.webhookLatency.baseline.p99)} | p50 +${ms(r.webhookLatency.proof.p50 - r.webhookLatency.baseline.p50)} ms |`,
  ...claimRows(r),
]);

/** The claim with messages blocked behind failing ones, beside the same claim with none blocked. */
function claimRows(r: Result): string[] {
  if (!r.claims) return [];
  const [bare, blocked, idle] = [stats(r.claims.bare), stats(r.claims.withBlocked), stats(r.claims.idleWithBlocked)];
  const n = r.claims.blocked.toLocaleString('en');
  return [
    `| ${r.label} | claim of 64 due heads with ${n} messages blocked behind failing ones, p50 / p99 ms (baseline: nothing blocked) | ${ms(blocked.p50)} / ${ms(blocked.p99)} | ${ms(bare.p50)} / ${ms(bare.p99)} | **${(blocked.p99 / bare.p99).toFixed(1)}×** p99 |`,
    `| ${r.label} | claim finding nothing due (an idle poll) with ${n} blocked, p50 / p99 ms | ${ms(idle.p50)} / ${ms(idle.p99)} | | |`,
  ];
}

const pgResult = results.find((r) => r.label === 'PostgreSQL');
const liteResult = results.find((r) => r.label === 'PGlite');
const reading: string[] = [];
const x = (a: number, b: number) => `${(a / b).toFixed(a / b < 0.1 ? 2 : 1)}×`;
if (pgResult) {
  const r = pgResult;
  reading.push(
    `Reading (PostgreSQL). A single update reaches all ${SUBSCRIBERS.toLocaleString('en')} subscribers p50 ${ms(r.single.proof.p50)} / p99 ${ms(r.single.proof.p99)} ms after its commit; the bare broadcast of the same text to as many clients takes ${ms(r.single.baseline.p50)} / ${ms(r.single.baseline.p99)} ms. ` +
      `Most of it is the same work in both: ${SUBSCRIBERS.toLocaleString('en')} socket writes from one process (a write system call each) and as many receipts in the load generator, on 2 cores, so the last client waits for all the others. ` +
      `Fan-out capacity (messages/s in the burst) was ${x(r.fanOutRate.proof, r.fanOutRate.baseline)} the bare server's; Proof Ramp's own work per message (a filter and a sequence check per subscriber, the message's serialisation, one NOTIFY parse per change) is small next to the write, and the rest of the gap is the database and HTTP work the node does beside it.`,
    `On PostgreSQL the subscribers are served by the node's WebSocket process (WS_PROCESS=separate, the default there): the fan-out has an event loop of its own, at a lower CPU priority than the API's (nice 10), in slices of about 2 ms (each change framed once, every subscriber's waiting messages in one write); the API's process only hands each upgrade over. The sandbox status call took p50 ${ms(r.statusCall.p50)} ms with the subscribers connected against ${ms(r.quietStatusCall.p50)} ms without${liteResult ? ` (on PGlite ${ms(liteResult.statusCall.p50)} against ${ms(liteResult.quietStatusCall.p50)} ms)` : ''}, and a read during the burst took p99 ${ms(r.read.duringBurst.p99)} ms against ${ms(r.read.idle.p99)} ms idle (p50 ${ms(r.read.duringBurst.p50)} against ${ms(r.read.idle.p50)} ms) and ${ms(r.read.duringBareBurst.p99)} ms in the control, where the node sends nothing and only the load generator's ${(BURST * SUBSCRIBERS).toLocaleString('en')} receipts (at nice ${CLIENT_NICENESS}) and the bare server compete with it for the 2 cores. ` +
      `The burst's changes committed over ${(r.burst.proofSpanMs / 1000).toFixed(1)} s; receipts p99 ${ms(r.burst.proof.p99)} ms against ${ms(r.burst.baseline.p99)} ms for the bare server on the same schedule, which has nothing else to do but falls behind it (its \`send\` per client costs more than the node's one prepared frame per message); from each of its send calls, which leaves its backlog out, it took ${ms(r.burst.baselineFromSend.p99)} ms. ` +
      `On 2 cores the load generator (${SUBSCRIBERS.toLocaleString('en')} client sockets), PostgreSQL, the baselines' process and the node share the CPU, so every figure includes time spent waiting for a CPU, and the p99s move most from run to run.`,
    `Webhooks: the worker drains a backlog at ${r.webhookThroughput.proof.toFixed(0)} deliveries/s, ${(r.webhookThroughput.proof / r.webhookThroughput.baseline).toFixed(2)}× the bare POST loop at the same concurrency (${r.webhookThroughput.baseline.toFixed(0)}/s), which does no bookkeeping at all. ` +
      `Each delivery is still durable work: leased by a claim (one statement for a batch, FOR UPDATE SKIP LOCKED), signed, and its attempt recorded; the recording runs beside the sending, one database transaction for every attempt that finished since the last one, and a transaction's next message becomes claimable when that commits. Only each transaction's first pending message is claimable (a partial index), so ${r.claims ? `a claim of 64 due messages took p50 ${ms(stats(r.claims.withBlocked).p50)} ms with ${r.claims.blocked.toLocaleString('en')} messages blocked behind failing ones, against ${ms(stats(r.claims.bare).p50)} ms with none` : 'a claim does not read what waits behind a failing message'} (decision 0023). ` +
      `A change reaches the receiver ${ms(r.webhookLatency.proof.p50)} ms (p50) after its commit: the change wakes its own node's worker instead of waiting for the next poll.`,
  );
}
if (liteResult) {
  reading.push(
    `On PGlite there is no NOTIFY to time the commit, so the clock starts when the status call is sent and the figures include the call itself (and, in the burst, its wait behind the other calls); every query is serialised through one embedded session, which the API's requests and the webhook worker share.`,
  );
}
reading.push(
  `The machine was shared with other jobs during the run (load average above): on it, p50s of repeated runs differed by up to 2×, so compare Proof Ramp with its baseline within one run rather than across runs.`,
);

const cpu = cpus();
const section = [
  '<!-- bench:delivery:start -->',
  '## Status delivery: WebSocket fan-out and webhooks (`npm run bench:delivery`)',
  '',
  `Run on ${new Date().toISOString().slice(0, 10)}, ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}${postgresVersion ? `, PostgreSQL ${postgresVersion}` : ''}, open files limit ${fdLimit}; 1-minute load average before each database's run ${results.map((r) => `${r.load.toFixed(1)} (${r.label})`).join(', ')}; whole run ${elapsed.toFixed(0)} s.`,
  `Four processes: \`proof serve\` (the real binary; a fresh PostgreSQL schema, dropped after, with its WebSocket process beside it, or a fresh PGlite data folder, WebSockets served inline), the bare baselines (\`bench/delivery-baseline.ts\`), the WebSocket clients (\`bench/delivery-subscribers.ts\`, at nice ${CLIENT_NICENESS}: they stand for clients on other machines, so they take the CPU the servers leave rather than competing with them for it; BENCH_CLIENT_NICENESS=0 runs them alongside), and the bench itself, which holds the webhook receiver.`,
  '',
  `### WebSocket fan-out: ${SUBSCRIBERS.toLocaleString('en')} subscriptions on one node`,
  '',
  `All ${SUBSCRIBERS.toLocaleString('en')} connections subscribe with \`?user_id=\` to one user, so every change goes to every one of them. Latency: from the commit to each client's receipt (every receipt counts); the burst issues its changes ${BURST_CONCURRENCY} at a time. Baseline: a bare \`ws\` server broadcasting the very same payload texts to the same number of clients (the burst on the same schedule as the commits), timed from the instant each payload was due on that schedule, as the node's receipts are timed from the commit. Timed instead from each of its send calls, which leaves out the time a payload waits for the sends before it, the bare burst took ${results.map((r) => `p50 ${ms(r.burst.baselineFromSend.p50)} / p99 ${ms(r.burst.baselineFromSend.p99)} ms (${r.label})`).join(', ')}.`,
  '',
  '| database | updates | from | p50 ms | p99 ms | baseline p50 ms | baseline p99 ms | p50 ratio | p99 ratio | receipts |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...wsRows,
  '',
  `A read during the fan-out: \`GET /widget/transactions/{id}\`, one call after another from a process of its own, first with the ${SUBSCRIBERS.toLocaleString('en')} subscribers connected and nothing being sent (${PROBE_IDLE} calls), then for as long as the node's burst is being committed and delivered, and last (the control) while the bare server fans the same burst out to the same clients and the node has nothing to send: what the load generator and the other processes alone do to a read on this machine. The reads during the burst are also split at the answer to its last status call: those begun while the changes were still being made (the node's HTTP calls and database transactions for them, and the fan-out of the first ones), and those begun after, when only the fan-out was left.`,
  '',
  '| database | idle p50 / p99 ms | during the burst p50 / p99 ms | p99 ratio | calls during the burst | of them, while the changes were made: p50 / p99 ms (calls) | after, the fan-out alone: p50 / p99 ms (calls) | control: during the bare burst p50 / p99 ms | control p99 ratio |',
  '|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.label} | ${ms(r.read.idle.p50)} / ${ms(r.read.idle.p99)} | ${ms(r.read.duringBurst.p50)} / ${ms(r.read.duringBurst.p99)} | **${(r.read.duringBurst.p99 / r.read.idle.p99).toFixed(1)}×** | ${r.read.duringBurst.n} | ${ms(r.read.whileChanging.p50)} / ${ms(r.read.whileChanging.p99)} (${r.read.whileChanging.n}) | ${ms(r.read.afterChanges.p50)} / ${ms(r.read.afterChanges.p99)} (${r.read.afterChanges.n}) | ${ms(r.read.duringBareBurst.p50)} / ${ms(r.read.duringBareBurst.p99)} | ${(r.read.duringBareBurst.p99 / r.read.idle.p99).toFixed(1)}× |`,
  ),
  '',
  `Fan-out capacity: Proof Ramp delivered the burst's ${(BURST * SUBSCRIBERS).toLocaleString('en')} messages at ${results.map((r) => `${Math.round(r.fanOutRate.proof).toLocaleString('en')}/s (${r.label})`).join(', ')}, from its first commit to the last receipt; the bare server pushing the same payloads back to back: ${results.map((r) => `${Math.round(r.fanOutRate.baseline).toLocaleString('en')}/s`).join(', ')}.`,
  `Opening the subscriptions (200 at a time): ${results.map((r) => `${r.label} ${(r.connectMs.proof / 1000).toFixed(1)} s (bare ws ${(r.connectMs.baseline / 1000).toFixed(1)} s)`).join(', ')}. The sandbox status call itself took p50 ${results.map((r) => `${ms(r.statusCall.p50)} ms (${r.label})`).join(', ')}.`,
  '',
  '### Webhooks to a local receiver',
  '',
  `Throughput: the receiver holds its first answers while ${WEBHOOK_BACKLOG} changes are committed, then answers everything; deliveries per second from then until the last one arrives (${WORKER_CONCURRENCY} in flight: one node's worker). Latency: one change at a time, from the commit to the arrival of its first attempt. Baseline: a bare undici POST loop in its own process with the same body (${results[0]?.webhookThroughput.bodyBytes ?? '?'} bytes) and headers of the same size, ${WORKER_CONCURRENCY} concurrent for throughput, one at a time for latency (from the call to the arrival). The floor (PostgreSQL): the same loop leasing each batch of messages in one statement (FOR UPDATE SKIP LOCKED) and recording each attempt and its message's new state, a batch per transaction beside the sending, in tables of its own: what any durable queue pays here, without signing, ordering, retries or endpoint health.`,
  '',
  '| database | measure | Proof Ramp | baseline | ratio or difference |',
  '|---|---|---|---|---|',
  ...hookRows,
  '',
  ...results.map(
    (r) =>
      `Where the CPU went (${r.label}; from /proc, user and system time, so a process is also charged for the loopback network work the kernel does while it runs), per delivery: the drain: ${r.webhookCpu.proof}; the bare loop: ${r.webhookCpu.baseline}${r.webhookCpu.durable ? `; the floor: ${r.webhookCpu.durable}` : ''}.`,
  ),
  '',
  ...reading.flatMap((paragraph) => [paragraph, '']),
  '<!-- bench:delivery:end -->',
].join('\n');

const file = new URL('../docs/benchmarks.md', import.meta.url);
let document = readFileSync(file, 'utf8');
const pattern = /<!-- bench:delivery:start -->[\s\S]*<!-- bench:delivery:end -->/;
document = pattern.test(document) ? document.replace(pattern, section) : `${document.trimEnd()}\n\n${section}\n`;
writeFileSync(file, document);
log('\nWrote docs/benchmarks.md');
