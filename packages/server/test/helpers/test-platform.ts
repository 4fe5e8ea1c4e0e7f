import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { type PlatformOptions, type RunningPlatform, startPlatform } from '../../src/bootstrap.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import type { PartnerInput } from '../../src/modules/partners/partner-config.ts';
import { localPartnerOperations } from '../../src/modules/partners/partner-operations.ts';
import { sandboxPartnerInput } from '../../src/modules/partners/sandbox-partner.ts';
import { type BackgroundWork, startBackgroundWork } from '../../src/workers.ts';

export const ADMIN_TOKEN = 'adm_test_0123456789abcdefghijklmnop';

/** Where every test server's clock starts unless told otherwise. */
export const TEST_START = new Date('2026-11-21T12:00:00Z');

export interface PartnerCredentials {
  partner_id: string;
  widget_id: string;
  client_token: string;
  webhook_secret: string;
}

export interface TestServer {
  url: string;
  platform: RunningPlatform;
  clock: ManualClock;
  app: FastifyInstance;
  /** Present when started with `background: true`: the webhook worker, drained by tests for determinism. */
  background: BackgroundWork | null;
  /** The root signing secret this server was started with (tests derive the platform's keys from it). */
  signingSecret: string;
  /** Creates a partner (the sandbox partner's settings, overridable) and returns its credentials. */
  createPartner(overrides?: PartnerInput): Promise<PartnerCredentials>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Configuration overrides, as environment variables (e.g. `{ RATE_LIMIT_PER_MINUTE: '3' }`). */
  env?: Record<string, string>;
  /** Passed to startPlatform over the test defaults: adapters, or anything else a test replaces. */
  platformOptions?: PlatformOptions;
  /** Run the webhook worker (and the other background work), drained by tests rather than waited for. */
  background?: boolean;
  /** Where the manual clock starts; TEST_START by default. */
  clockStart?: Date;
}

/**
 * A real server on a random port over a fresh database: in-memory PGlite, or (PROOF_TEST_DB=postgres)
 * a schema of its own in TEST_DATABASE_URL, dropped again on close.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const config: Config = loadConfig({ PORT: '0', ADMIN_TOKEN, LOG_LEVEL: 'silent', ...options.env });
  const clock = new ManualClock(options.clockStart ?? TEST_START);
  const database = await testDatabase(config.databasePoolSize);
  const secrets = options.platformOptions?.secrets ?? {
    signingSecret: randomBytes(32).toString('base64url'),
    encryptionKey: randomBytes(32),
  };
  const platform = await startPlatform(config, {
    clock,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    database: database.options,
    ...options.platformOptions,
    secrets,
  });
  const app = await buildApp(platform);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  platform.config.publicUrl = url;
  const operations = localPartnerOperations(platform);
  const background = options.background ? startBackgroundWork(platform) : null;
  return {
    url,
    platform,
    clock,
    app,
    background,
    signingSecret: secrets.signingSecret,
    createPartner: async (overrides = {}) => operations.create({ ...sandboxPartnerInput('http://localhost:8080'), ...overrides }),
    close: async () => {
      await background?.stop();
      await app.close();
      await platform.close();
      await database.drop();
    },
  };
}

/** A fresh database for one test server: in-memory PGlite, or a new schema on TEST_DATABASE_URL with a pool of `poolSize`. */
export async function testDatabase(poolSize = 10): Promise<{ options: NonNullable<PlatformOptions['database']>; drop(): Promise<void> }> {
  if (process.env.PROOF_TEST_DB !== 'postgres') return { options: { dataDir: undefined }, drop: async () => {} };
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('PROOF_TEST_DB=postgres needs TEST_DATABASE_URL');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await withClient(url, (client) => client.query(`create schema ${schema}`));
  return {
    options: { url, schema, poolSize },
    drop: () => withClient(url, (client) => client.query(`drop schema if exists ${schema} cascade`)),
  };
}

async function withClient(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
}

/** JSON over real HTTP; returns status, headers and the parsed body. */
export async function request(
  url: string,
  options: {
    method?: string;
    token?: string;
    body?: unknown;
    rawBody?: string | Uint8Array<ArrayBuffer>;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array<ArrayBuffer> | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the text itself is the body
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

export const sessionBody = (overrides: Record<string, unknown> = {}) => ({
  partner_user_id: 'user-1',
  user_email: 'user@example.com',
  currency: 'USDT',
  network: 'TRC20',
  amount: '100',
  ...overrides,
});

/** Checks the documented error shape and returns the body for further checks. */
export function expectError(result: HttpResult, status: number, error: string, code: string) {
  const context = JSON.stringify(result.body);
  if (result.status !== status || result.body?.error !== error || result.body?.code !== code) {
    throw new Error(`expected ${status} ${error}/${code}, got ${result.status}: ${context}`);
  }
  if (typeof result.body.message !== 'string' || result.body.message === '') throw new Error(`no message: ${context}`);
  if (result.body.request_id !== result.headers.get('x-request-id')) throw new Error(`request_id differs from X-Request-Id: ${context}`);
  return result.body;
}
