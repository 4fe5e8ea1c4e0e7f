/**
 * npm run bench:api — throughput and latency of POST /widget/session and GET /widget/transactions/{id},
 * each beside a bare baseline measured in the same run on the same database (see targets.ts), on the
 * embedded database and on PostgreSQL (BENCH_DATABASE_URL, default the local test database).
 * Writes the figures to docs/benchmarks.md. A benchmark, not a test: nothing here passes or fails.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const postgresUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Targets {
  apiUrl: string;
  baselineUrl: string;
  token: string;
  transactionIds: string[];
  rowIds: string[];
  dbKind: string;
}

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function startTargets(env: Record<string, string>): Promise<{ targets: Targets; stop(): void }> {
  const child = spawn(process.execPath, [new URL('./targets.ts', import.meta.url).pathname], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`targets exited with ${code}`)));
  });
  return { targets: JSON.parse(line) as Targets, stop: () => child.kill('SIGKILL') };
}

async function load(
  name: string,
  url: string,
  options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; paths?: string[] },
): Promise<Figures> {
  const paths = options.paths;
  let next = 0;
  const run = (duration: number) =>
    autocannon({
      url,
      connections: CONNECTIONS,
      duration,
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body,
      ...(paths ? { requests: [{ setupRequest: (request: any) => ({ ...request, path: paths[next++ % paths.length] }) }] } : {}),
    });
  await run(2); // warm-up: JIT, connection pool, caches
  const result = await run(DURATION);
  const errors = result.errors + result.timeouts + result.non2xx;
  const figures = { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors };
  console.log(
    `${name.padEnd(34)} ${figures.rps.toFixed(0).padStart(7)} req/s  p50 ${figures.p50} ms  p99 ${figures.p99} ms  errors ${errors}`,
  );
  return figures;
}

async function measure(label: string, env: Record<string, string>) {
  const { targets, stop } = await startTargets(env);
  try {
    const sessionBody = JSON.stringify({
      partner_user_id: 'bench-user',
      user_email: 'bench@example.com',
      currency: 'USDT',
      network: 'TRC20',
      amount: '100',
    });
    const json = { 'content-type': 'application/json' };
    const auth = { authorization: `Bearer ${targets.token}` };
    const baselineInsert = await load(`${label}: baseline INSERT`, `${targets.baselineUrl}/rows`, {
      method: 'POST',
      headers: json,
      body: sessionBody,
    });
    const session = await load(`${label}: POST /widget/session`, `${targets.apiUrl}/widget/session`, {
      method: 'POST',
      headers: { ...json, ...auth },
      body: sessionBody,
    });
    const baselineSelect = await load(`${label}: baseline SELECT by key`, targets.baselineUrl, {
      paths: targets.rowIds.map((id) => `/rows/${id}`),
    });
    const read = await load(`${label}: GET /widget/transactions/{id}`, targets.apiUrl, {
      headers: auth,
      paths: targets.transactionIds.map((id) => `/widget/transactions/${id}`),
    });
    return {
      label,
      pairs: [
        [session, baselineInsert],
        [read, baselineSelect],
      ] as const,
    };
  } finally {
    stop();
  }
}

async function postgresSchema(): Promise<{ schema: string; drop(): Promise<void> } | null> {
  const client = new pg.Client({ connectionString: postgresUrl });
  try {
    await client.connect();
  } catch {
    console.log(`PostgreSQL at ${postgresUrl} does not answer; measuring the embedded database only.`);
    return null;
  }
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  await client.query(`create schema ${schema}`);
  await client.end();
  return {
    schema,
    drop: async () => {
      const dropper = new pg.Client({ connectionString: postgresUrl });
      await dropper.connect();
      await dropper.query(`drop schema ${schema} cascade`);
      await dropper.end();
    },
  };
}

// BENCH_DATABASES=postgres (or pglite) measures one database only, for quick A/B runs; the default is both.
const databases = (process.env.BENCH_DATABASES ?? 'pglite,postgres').split(',');
const results = databases.includes('pglite') ? [await measure('PGlite', {})] : [];
const pgSchema = databases.includes('postgres') ? await postgresSchema() : null;
if (pgSchema) {
  try {
    results.push(await measure('PostgreSQL', { BENCH_DATABASE_URL: postgresUrl, BENCH_SCHEMA: pgSchema.schema }));
  } finally {
    await pgSchema.drop();
  }
}

const rows = results.flatMap(({ label, pairs }) =>
  pairs.map(
    ([measured, base]) =>
      `| ${label} | ${measured.name.split(': ')[1]} | ${measured.rps.toFixed(0)} | ${measured.p50} | ${measured.p99} | ${base.name.split(': ')[1]} | ${base.rps.toFixed(0)} | ${base.p50} | ${base.p99} | **${(measured.rps / base.rps).toFixed(2)}×** | ${measured.errors + base.errors} |`,
  ),
);
const section = [
  '<!-- bench:api:start -->',
  `## API: sessions and transaction reads (\`npm run bench:api\`)`,
  '',
  `Run on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; autocannon, ${CONNECTIONS} connections, ${DURATION} s per measurement after a 2 s warm-up, load generator in a separate process from the servers.`,
  '',
  '| database | endpoint | req/s | p50 ms | p99 ms | baseline | req/s | p50 ms | p99 ms | ratio | errors |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  'Baselines: a bare `node:http` server in the same process as the API, on the same database and connection pool (10), doing one INSERT into a table with the `transactions` table’s shape and indexes, resp. one SELECT by primary key, and answering with JSON.',
  'Targets on PostgreSQL: session ≥ 0.5× baseline, GET ≥ 0.7× baseline, p99 ≤ 25 ms at 50 connections.',
  '<!-- bench:api:end -->',
].join('\n');

const file = new URL('../docs/benchmarks.md', import.meta.url);
let document =
  '# Benchmarks\n\nEach figure is measured beside a bare baseline in the same run; ratios matter more than absolute numbers, which depend on the machine.\n';
try {
  document = readFileSync(file, 'utf8');
} catch {
  // first run: start the file
}
const pattern = /<!-- bench:api:start -->[\s\S]*<!-- bench:api:end -->/;
document = pattern.test(document) ? document.replace(pattern, section) : `${document.trimEnd()}\n\n${section}\n`;
writeFileSync(file, document);
console.log('\nWrote docs/benchmarks.md');
