import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSandboxAddress } from '../src/lib/address.ts';
import { freePort } from './helpers/net.ts';
import { BIN, childEnv } from './helpers/proof-child.ts';
import { request, sessionBody, testDatabase } from './helpers/test-platform.ts';

/**
 * `proof partners …` as an operator runs it: a real child process (Node 24, the test runner's own
 * binary) with its own environment. Embedded mode: DATA_DIR, no server running, the CLI opens the
 * database itself (PGlite; with PROOF_TEST_DB=postgres, a PostgreSQL schema of its own instead).
 * Server mode: `proof serve` owns the embedded database and the CLI goes through its admin API.
 */

const CHILD_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 90_000;

const TRON_WALLET = deriveSandboxAddress('tron', createHash('sha256').update('partners cli test wallet').digest());
/** The same address with its last character changed: still base58, but the checksum fails. */
const TRON_BAD_CHECKSUM = `${TRON_WALLET.slice(0, -1)}${TRON_WALLET.endsWith('1') ? '2' : '1'}`;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: childEnv(env), timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && (error as { killed?: boolean }).killed) {
          reject(new Error(`proof ${args.join(' ')} timed out after ${CHILD_TIMEOUT_MS} ms\n${stderr}`));
          return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a command expected to succeed with --json output (and `stderr`, nothing by default) and returns the parsed object. */
async function cliJson(args: string[], env: Record<string, string>, stderr = ''): Promise<any> {
  const result = await runCli(args, env);
  if (result.code !== 0)
    throw new Error(`proof ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  expect(result.stderr).toBe(stderr);
  return JSON.parse(result.stdout);
}

const CREATE_ARGS = [
  'partners',
  'create',
  '--name',
  'Acme Wallet',
  '--email',
  'ops@acme.io',
  '--origin',
  'https://app.example.com',
  '--asset',
  `USDT:TRC20=${TRON_WALLET}`,
  '--asset',
  'USDT:ERC20',
  '--ip',
  '203.0.113.0/24',
  '--sell',
  '--fiat',
  'EUR,USD',
  '--webhook-url',
  'https://hooks.example.com/x',
  '--json',
];

/** CREATE_ARGS enable USDT on ERC20 without a wallet: valid (it can be sold), but it cannot be bought. */
const ERC20_WARNING =
  'USDT on ERC20 has no wallet and allow_partner_address is off: buying it answers 400 WALLET_NOT_SUPPORTED (it can still be sold)';

const dbLabel = process.env.PROOF_TEST_DB === 'postgres' ? 'PostgreSQL schema' : 'embedded database';

describe(`proof partners, no server running (${dbLabel})`, () => {
  let dataDir: string;
  let env: Record<string, string>;
  let dropDatabase: () => Promise<void> = async () => {};
  let created: any;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'proof-cli-'));
    env = { DATA_DIR: dataDir };
    if (process.env.PROOF_TEST_DB === 'postgres') {
      const database = await testDatabase();
      dropDatabase = database.drop;
      const base = database.options.url!;
      env.DATABASE_URL = `${base}${base.includes('?') ? '&' : '?'}options=-c%20search_path%3D${database.options.schema}`;
    }
  });
  afterAll(async () => {
    await dropDatabase();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a partner and prints one JSON object with its credentials, and on stderr what it cannot do', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const result = await runCli(CREATE_ARGS, env);
    expect(result.stderr).toBe(`warning: ${ERC20_WARNING}\n`);
    expect(result.code).toBe(0);
    created = JSON.parse(result.stdout);
    expect(created).toMatchObject({
      partner_id: expect.stringMatching(/^ptr_[0-9A-Za-z]{20}$/),
      widget_id: expect.stringMatching(/^wgt_[0-9A-Za-z]{20}$/),
      client_token: expect.stringMatching(/^ct_[0-9A-Za-z]{32}$/),
      webhook_secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      name: 'Acme Wallet',
      contact_email: 'ops@acme.io',
      status: 'active',
      partner_type: 'wallet',
      origins: ['https://app.example.com'],
      ip_allowlist: ['203.0.113.0/24'],
      assets: [
        { currency: 'USDT', network: 'TRC20', address: TRON_WALLET, is_default: true },
        { currency: 'USDT', network: 'ERC20', address: null, is_default: false },
      ],
      fiat_currencies: ['EUR', 'USD'],
      default_fiat: 'EUR',
      sell: { enabled: true, fiat_currencies: ['EUR', 'USD'] },
      widget: { type: 'buy', lang: 'en', theme: 'light', redirect_url: null },
      allow_partner_address: false,
      webhook_url: 'https://hooks.example.com/x',
      warnings: [ERC20_WARNING],
    });
    expect(created.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // Embedded mode leaves its database in DATA_DIR; with PostgreSQL only the secrets live there.
    expect(existsSync(join(dataDir, 'db'))).toBe(process.env.PROOF_TEST_DB !== 'postgres');
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(true);
  });

  it('lists the partner, without any secret', { timeout: STEP_TIMEOUT_MS }, async () => {
    const partners = await cliJson(['partners', 'list', '--json'], env);
    expect(partners).toHaveLength(1);
    expect(partners[0]).toMatchObject({
      partner_id: created.partner_id,
      widget_id: created.widget_id,
      name: 'Acme Wallet',
      status: 'active',
    });
    expect(partners[0]).not.toHaveProperty('client_token');
    expect(partners[0]).not.toHaveProperty('webhook_secret');
  });

  it('shows the partner with its webhook secret and token prefixes', { timeout: STEP_TIMEOUT_MS }, async () => {
    const shown = await cliJson(['partners', 'show', created.partner_id, '--json'], env);
    expect(shown).toMatchObject({
      partner_id: created.partner_id,
      widget_id: created.widget_id,
      webhook_secret: created.webhook_secret,
      tokens: [{ prefix: created.client_token.slice(0, 10), created_at: created.created_at, expires_at: null }],
    });
    expect(shown).not.toHaveProperty('client_token');
  });

  it('updates the name and keeps everything else', { timeout: STEP_TIMEOUT_MS }, async () => {
    const updated = await cliJson(
      ['partners', 'update', created.partner_id, '--name', 'Acme Wallet Ltd', '--json'],
      env,
      `warning: ${ERC20_WARNING}\n`,
    );
    const { name: _oldName, updated_at: _oldUpdated, client_token: _token, webhook_secret: _secret, ...unchanged } = created;
    expect(updated).toMatchObject({ ...unchanged, name: 'Acme Wallet Ltd' });
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
  });

  it('rotates the token with a one-hour grace period', { timeout: STEP_TIMEOUT_MS }, async () => {
    const before = Date.now();
    const rotated = await cliJson(['partners', 'rotate-token', created.partner_id, '--grace', '1h', '--json'], env);
    const after = Date.now();
    expect(Object.keys(rotated).sort()).toEqual(['client_token', 'partner_id', 'previous_tokens_expire_at']);
    expect(rotated.partner_id).toBe(created.partner_id);
    expect(rotated.client_token).toMatch(/^ct_[0-9A-Za-z]{32}$/);
    expect(rotated.client_token).not.toBe(created.client_token);
    const expiresAt = Date.parse(rotated.previous_tokens_expire_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 3_600_000);

    const shown = await cliJson(['partners', 'show', created.partner_id, '--json'], env);
    expect(shown.tokens).toEqual([
      { prefix: rotated.client_token.slice(0, 10), created_at: expect.any(String), expires_at: null },
      { prefix: created.client_token.slice(0, 10), created_at: created.created_at, expires_at: rotated.previous_tokens_expire_at },
    ]);
  });

  it('disables and enables the partner', { timeout: STEP_TIMEOUT_MS }, async () => {
    const disabled = await cliJson(['partners', 'disable', created.partner_id, '--json'], env);
    expect(disabled).toMatchObject({ partner_id: created.partner_id, status: 'disabled', name: 'Acme Wallet Ltd' });
    const listed = await cliJson(['partners', 'list', '--json'], env);
    expect(listed.map((p: any) => [p.partner_id, p.status])).toEqual([[created.partner_id, 'disabled']]);
    const enabled = await cliJson(['partners', 'enable', created.partner_id, '--json'], env);
    expect(enabled.status).toBe('active');
  });

  describe('invalid input: exit code 2, a clear message on stderr, nothing created', () => {
    const withAsset = (asset: string, extra: string[] = []) => [
      'partners',
      'create',
      '--name',
      'Bad',
      '--email',
      'bad@x.io',
      '--origin',
      'https://bad.example.com',
      '--asset',
      asset,
      ...extra,
      '--json',
    ];
    const cases: Array<{ why: string; args: () => string[]; message: string }> = [
      {
        why: 'a wallet with a bad checksum',
        args: () => withAsset(`USDT:TRC20=${TRON_BAD_CHECKSUM}`),
        message: `error: assets.0.address: USDT:TRC20 wallet ${TRON_BAD_CHECKSUM}: bad base58check checksum\n`,
      },
      {
        why: 'an unknown currency',
        args: () => withAsset('DOGE:TRC20'),
        message: 'error: assets.0.currency: unknown currency DOGE (known: USDT, USDC, BTC, ETH, SOL)\n',
      },
      {
        why: 'a bad CIDR',
        args: () => withAsset(`USDT:TRC20=${TRON_WALLET}`, ['--ip', '10.0.0.0/33']),
        message: 'error: ip_allowlist: not an IP address or CIDR range: 10.0.0.0/33\n',
      },
      {
        why: 'a partner that could never transact: no wallet, no partner-supplied addresses, no selling',
        args: () => withAsset('USDT:TRC20'),
        message:
          'error: assets: no asset has a wallet, allow_partner_address is off and sell is off, so no session could ever be created: give an asset a wallet address, allow partner addresses, or enable sell\n',
      },
      {
        why: 'limits that allow no amount',
        args: () => withAsset(`USDT:TRC20=${TRON_WALLET}`, ['--limit', 'EUR:0:0']),
        message: 'error: limits.EUR: the minimum (0) must be below the maximum (0), or no amount is allowed\n',
      },
      {
        why: 'an unknown partner id',
        args: () => ['partners', 'show', 'ptr_doesnotexist', '--json'],
        message: 'error: no partner ptr_doesnotexist\n',
      },
      {
        why: 'a bad grace duration',
        args: () => ['partners', 'rotate-token', created.partner_id, '--grace', 'soon', '--json'],
        message: 'error: grace: not a duration: "soon" (use e.g. 30s, 60m, 24h)\n',
      },
    ];
    it.each(cases)('$why', { timeout: STEP_TIMEOUT_MS }, async ({ args, message }) => {
      const result = await runCli(args(), env);
      expect(result).toEqual({ code: 2, stdout: '', stderr: message });
    });

    it('an unknown option', { timeout: STEP_TIMEOUT_MS }, async () => {
      const result = await runCli(['partners', 'create', '--name', 'Bad', '--colour', 'red', '--json'], env);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: Unknown option '--colour'/);
    });

    it('left exactly the one partner created above, with its tokens unchanged', { timeout: STEP_TIMEOUT_MS }, async () => {
      const partners = await cliJson(['partners', 'list', '--json'], env);
      expect(partners.map((p: any) => p.name)).toEqual(['Acme Wallet Ltd']);
      const shown = await cliJson(['partners', 'show', created.partner_id, '--json'], env);
      expect(shown.tokens).toHaveLength(2);
    });
  });
});

describe('proof partners while proof serve runs (embedded database)', () => {
  let dataDir: string;
  let port: number;
  let serve: ChildProcess | null = null;
  let serveOutput = '';
  let serveExit: Promise<number | null>;

  const stopServe = async () => {
    if (!serve || serve.exitCode !== null || serve.signalCode !== null) return;
    serve.kill('SIGTERM');
    const timer = setTimeout(() => serve?.kill('SIGKILL'), 15_000);
    await serveExit;
    clearTimeout(timer);
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'proof-serve-'));
    port = await freePort();
    serve = spawn(process.execPath, [BIN, 'serve'], {
      env: childEnv({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'error' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    serveExit = new Promise((resolvePromise) => serve!.once('exit', (code) => resolvePromise(code)));
    // Ready once it says so; fail fast if it dies or takes too long.
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`proof serve did not start within ${CHILD_TIMEOUT_MS} ms:\n${serveOutput}`)),
        CHILD_TIMEOUT_MS,
      );
      const onData = (chunk: Buffer) => {
        serveOutput += chunk.toString();
        if (serveOutput.includes('listening')) {
          clearTimeout(timer);
          resolvePromise();
        }
      };
      serve!.stdout!.on('data', onData);
      serve!.stderr!.on('data', (chunk: Buffer) => (serveOutput += chunk.toString()));
      serve!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`proof serve exited with ${code}:\n${serveOutput}`));
      });
    });
  }, STEP_TIMEOUT_MS);

  afterAll(async () => {
    await stopServe();
    rmSync(dataDir, { recursive: true, force: true });
  }, STEP_TIMEOUT_MS);

  it('announces itself and records that it owns the embedded database', () => {
    expect(serveOutput).toContain(`Proof Ramp listening on http://localhost:${port} (embedded database in ${join(dataDir, 'db')})`);
    const marker = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
    expect(marker).toEqual({ pid: serve!.pid, url: `http://127.0.0.1:${port}` });
  });

  it('lists partners through the running server: the seeded Sandbox Partner', { timeout: STEP_TIMEOUT_MS }, async () => {
    const sandbox = JSON.parse(readFileSync(join(dataDir, 'sandbox-partner.json'), 'utf8'));
    const partners = await cliJson(['partners', 'list', '--json'], { DATA_DIR: dataDir });
    expect(partners).toHaveLength(1);
    expect(partners[0]).toMatchObject({
      partner_id: sandbox.partner_id,
      widget_id: sandbox.widget_id,
      name: 'Sandbox Partner',
      status: 'active',
      origins: [`http://localhost:${port}`, `http://127.0.0.1:${port}`],
    });
  });

  it('goes through the admin API: a wrong ADMIN_TOKEN is refused by the server', { timeout: STEP_TIMEOUT_MS }, async () => {
    // The embedded path never looks at ADMIN_TOKEN, so this refusal can only come from the server.
    const result = await runCli(['partners', 'list', '--json'], { DATA_DIR: dataDir, ADMIN_TOKEN: 'adm_wrong_token_000000000000000000' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('the server answered 401: The admin token is not valid.\n');
  });

  it('creates a partner through the server whose token works there at once', { timeout: STEP_TIMEOUT_MS }, async () => {
    const args = CREATE_ARGS.filter((arg, index) => arg !== '--ip' && CREATE_ARGS[index - 1] !== '--ip');
    const created = await cliJson(args, { DATA_DIR: dataDir }, `warning: ${ERC20_WARNING}\n`);
    expect(created).toMatchObject({ name: 'Acme Wallet', ip_allowlist: [], client_token: expect.stringMatching(/^ct_/) });
    expect(created.warnings).toEqual([ERC20_WARNING]);
    const session = await request(`http://127.0.0.1:${port}/widget/session`, { token: created.client_token, body: sessionBody() });
    expect(session.status).toBe(200);
    // The partner has no fee: 100 USDT on TRC20 is 92.00 + 0.92 network fee = 92.92 EUR.
    expect(session.body).toMatchObject({
      widget_id: created.widget_id,
      address: TRON_WALLET,
      fiat_amount: '92.92',
      fiat_currencies: ['EUR', 'USD'],
    });
    const partners = await cliJson(['partners', 'list', '--json'], { DATA_DIR: dataDir });
    expect(partners.map((p: any) => p.name)).toEqual(['Sandbox Partner', 'Acme Wallet']);
  });

  it('reports the server’s validation errors like the embedded mode does (exit 2)', { timeout: STEP_TIMEOUT_MS }, async () => {
    const result = await runCli(
      [
        'partners',
        'create',
        '--name',
        'Bad',
        '--email',
        'bad@x.io',
        '--origin',
        'https://bad.example.com',
        '--asset',
        `USDT:TRC20=${TRON_BAD_CHECKSUM}`,
        '--json',
      ],
      { DATA_DIR: dataDir },
    );
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: assets.0.address: USDT:TRC20 wallet ${TRON_BAD_CHECKSUM}: bad base58check checksum\n`,
    });
    const unknown = await runCli(['partners', 'disable', 'ptr_doesnotexist', '--json'], { DATA_DIR: dataDir });
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: 'error: no partner ptr_doesnotexist\n' });
  });

  it('stops on SIGTERM and hands the database back to the CLI', { timeout: STEP_TIMEOUT_MS }, async () => {
    await stopServe();
    expect(await serveExit).toBe(0);
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false);
    // Now the CLI opens the embedded database itself and finds what the server stored.
    const partners = await cliJson(['partners', 'list', '--json'], { DATA_DIR: dataDir });
    expect(partners.map((p: any) => p.name)).toEqual(['Sandbox Partner', 'Acme Wallet']);
  });
});

describe('proof … --help', () => {
  it.each([
    [['partners', 'create', '--help'], 'create --name'],
    [['partners', 'list', '--help'], 'rotate-token ID'],
    [['partners', 'rotate-token', 'ptr_x', '-h'], 'rotate-token ID'],
    [['partners', 'help'], 'disable ID'],
    [['webhooks', 'list', '--help'], 'proof webhooks'],
    [['webhooks', 'replay', '--help'], 'proof webhooks'],
    [['serve', '--help'], 'serve '],
    [['migrate', '--help'], 'migrate '],
  ])('proof %s prints its usage, exits 0 and touches nothing', async (args, expected) => {
    const dataDir = join(tmpdir(), `proof-help-${process.pid}-${args.join('-')}`);
    const result = await runCli(args, { DATA_DIR: dataDir });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(expected);
    expect(existsSync(dataDir)).toBe(false);
  });
});
