import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { sandboxPartnerInput } from '../../src/modules/partners/sandbox-partner.ts';
import { chainSettingNames } from '../../src/modules/settlement/chain-settings.ts';
import { freePort } from './net.ts';
import { ADMIN_TOKEN, request, testDatabase } from './test-platform.ts';

/**
 * `proof serve` as an operator runs it, in a child process of its own (the test runner's Node 24),
 * so a test can SIGKILL it, restart it on the same data, or run several nodes on one database.
 */

export const BIN = resolve(import.meta.dirname, '../../bin/proof.js');
const START_TIMEOUT_MS = 60_000;

/** Every setting `proof` reads (config.ts; platform.child-settings.test.ts keeps the two in step): none may leak in from the developer's shell. */
export const SETTINGS = [
  'ADMIN_TOKEN',
  'AUTH_CACHE_TTL',
  'BODY_LIMIT_BYTES',
  'CONNECTION_TIMEOUT',
  'DATABASE_POOL_SIZE',
  'DATABASE_URL',
  'DATA_DIR',
  'DEPOSIT_ADDRESS_PROVIDER',
  'DEPOSIT_POLL_INTERVAL',
  'DEPOSIT_XPUB',
  'DEPOSIT_XPUB_BITCOIN',
  'DEPOSIT_XPUB_EVM',
  'DEPOSIT_XPUB_TRON',
  'EMBED_RATE_LIMIT_PER_MINUTE',
  'ENCRYPTION_KEY',
  'HEADERS_TIMEOUT',
  'HOST',
  'IDEMPOTENCY_TTL',
  'INIT_TOKEN_TTL',
  'KRAKEN_API_URL',
  'KYC_DOCUMENT_RETENTION',
  'KYC_MAX_UPLOAD_BYTES',
  'KYC_PROVIDER',
  'LATE_DEPOSIT_WATCH',
  'METRICS_HOST',
  'METRICS_PORT',
  'NETWORK_FEES',
  'NODE_ENV',
  'PAYMENT_MAX_ATTEMPTS',
  'PAYMENT_PROVIDER',
  'PAYOUT_PROVIDER',
  'PORT',
  'PUBLIC_URL',
  'QUOTE_TTL',
  'RATES_CACHE_TTL',
  'RATES_MAX_AGE',
  'RATES_TIMEOUT',
  'RATE_LIMIT_PER_MINUTE',
  'RATE_PROVIDER',
  'REDIS_KEY_PREFIX',
  'REDIS_URL',
  'REQUEST_TIMEOUT',
  'SANDBOX_KYC_DELAY',
  'SANDBOX_PAYMENT_DELAY',
  'SANDBOX_PAYOUT_DELAY',
  'SANDBOX_TOOLS',
  'SELL_DEPOSIT_WINDOW',
  'SETTLEMENT_POLL_INTERVAL',
  'SETTLEMENT_RETRY',
  'SIGNING_SECRET',
  'STATUS_CHANGE_CONCURRENCY',
  'TOKEN_ROTATION_GRACE',
  'TRUST_PROXY',
  'WEBHOOK_ALLOW_PRIVATE_TARGETS',
  'WEBHOOK_DISABLE_AFTER',
  'WEBHOOK_POLL_INTERVAL',
  'WEBHOOK_RETENTION',
  'WEBHOOK_TIMEOUT',
  'WIDGET_CREDENTIAL_TTL',
  'WS_MAX_CONNECTIONS_PER_TOKEN',
  'WS_PING_INTERVAL',
  'WS_PROCESS',
  // Per network (CHAIN_ADAPTER_TRC20, EVM_RPC_URL_ERC20 …), read by modules/settlement/chain-settings.ts.
  ...chainSettingNames(),
];

/** A clean environment: nothing from the developer's shell decides where the data goes or how it runs. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SETTINGS) delete env[name];
  return { ...env, LOG_LEVEL: 'error', ...extra };
}

/**
 * Where the children keep their data: with PROOF_TEST_DB=postgres a fresh schema (selected through
 * the URL's search_path, as an operator would), otherwise nothing: the caller's DATA_DIR holds PGlite.
 * Secrets are fixed here so every node (and every restart) signs and decrypts alike.
 */
export async function childDatabase(): Promise<{
  env: Record<string, string>;
  postgres: boolean;
  schema: string | null;
  drop(): Promise<void>;
}> {
  const secrets = {
    ADMIN_TOKEN,
    SIGNING_SECRET: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  if (process.env.PROOF_TEST_DB !== 'postgres') return { env: secrets, postgres: false, schema: null, drop: async () => {} };
  const database = await testDatabase();
  const base = database.options.url!;
  return {
    env: { ...secrets, DATABASE_URL: `${base}${base.includes('?') ? '&' : '?'}options=-c%20search_path%3D${database.options.schema}` },
    postgres: true,
    schema: database.options.schema!,
    drop: database.drop,
  };
}

export interface ProofChild {
  port: number;
  url: string;
  process: ChildProcess;
  /** stdout and stderr so far (for failure messages). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after a while; resolved once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts `proof serve` and resolves once it listens; rejects (and kills it) if it does not in time. */
export async function startProofServe(env: Record<string, string>, port?: number, options: { logFile?: string } = {}): Promise<ProofChild> {
  const chosenPort = port ?? (await freePort());
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: childEnv({ ...env, PORT: String(chosenPort) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  if (options.logFile) {
    // Everything the child writes, kept whole (output() keeps only the tail).
    const log = createWriteStream(options.logFile);
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('exit', () => log.end());
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) =>
    child.once('exit', (code, signal) => resolvePromise({ code, signal })),
  );
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const handle: ProofChild = {
    port: chosenPort,
    url: `http://127.0.0.1:${chosenPort}`,
    process: child,
    output: () => output,
    exited,
    kill: async () => {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (!gone()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`proof serve did not start within ${START_TIMEOUT_MS} ms:\n${output}`)),
        START_TIMEOUT_MS,
      );
      const onData = () => {
        if (output.includes('Proof Ramp listening')) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolvePromise();
        }
      };
      child.stdout!.on('data', onData);
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`proof serve exited (${code ?? signal}) before listening:\n${output}`));
      });
    });
  } catch (error) {
    await handle.kill();
    throw error;
  }
  return handle;
}

export interface CreatedPartner {
  partner_id: string;
  client_token: string;
  webhook_secret: string;
}

/** A partner like the sandbox one, created through the admin API, with its webhooks going to `webhookUrl`. */
export async function createPartner(baseUrl: string, webhookUrl: string): Promise<CreatedPartner> {
  const created = await request(`${baseUrl}/admin/partners`, {
    token: ADMIN_TOKEN,
    body: { ...sandboxPartnerInput('http://localhost:8080'), webhook_url: webhookUrl },
  });
  if (created.status !== 201) throw new Error(`creating a partner: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

/** Runs `work` over `items` with at most `concurrency` at a time; stops taking new items once `stop()` says so. */
export async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length && !stop()) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** Polls `check` until it returns true; throws with `describe()` once `timeoutMs` has passed. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, intervalMs));
  }
}
