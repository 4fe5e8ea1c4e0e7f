import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/net.ts';
import { BIN, childEnv } from './helpers/proof-child.ts';
import { ADMIN_TOKEN, type HttpResult, request, sessionBody, testDatabase } from './helpers/test-platform.ts';
import { answer, signatureValid, startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

/**
 * `proof webhooks list|show|replay|rotate-secret` as an operator runs it: a real child process against a running
 * `proof serve` (also a child). Embedded mode: the CLI finds the server that owns DATA_DIR and goes
 * through its admin API. With PROOF_TEST_DB=postgres both share a schema and the CLI opens the
 * database itself (the server's worker picks replays up on its next poll).
 */

const CHILD_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 90_000;
const postgres = process.env.PROOF_TEST_DB === 'postgres';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe(`proof webhooks against a running proof serve (${postgres ? 'PostgreSQL, CLI opens the database' : 'embedded database, CLI through the admin API'})`, () => {
  let dataDir: string;
  let env: Record<string, string>;
  let base: string;
  let serve: ChildProcess | null = null;
  let serveOutput = '';
  let serveExit: Promise<number | null>;
  let dropDatabase: () => Promise<void> = async () => {};
  let receiver: WebhookReceiver;
  let partner: { partner_id: string; client_token: string; webhook_secret: string };
  const tx: string[] = [];
  let failedIds: string[] = [];

  const cli = (args: string[]): Promise<CliResult> =>
    new Promise((resolvePromise, reject) => {
      execFile(
        process.execPath,
        [BIN, 'webhooks', ...args],
        { env: childEnv(env), timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL' },
        (error, stdout, stderr) => {
          if (error && (error as { killed?: boolean }).killed)
            return reject(new Error(`proof webhooks ${args.join(' ')} timed out\n${stderr}`));
          resolvePromise({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
        },
      );
    });
  const cliJson = async (args: string[]) => {
    const result = await cli(args);
    if (result.code !== 0) throw new Error(`proof webhooks ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout);
  };
  const adminCall = (path: string, method = 'GET', body?: unknown): Promise<HttpResult> =>
    request(`${base}/admin${path}`, { token: ADMIN_TOKEN, method, ...(body === undefined ? {} : { body }) });
  /** Waits (bounded) until the server's worker has recorded the deliveries as `status`. */
  const until = async (status: string, ids: string[]) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const listed = (await adminCall(`/webhooks/deliveries?status=${status}`)).body.deliveries as Array<{ id: string }>;
      if (ids.every((id) => listed.some((d) => d.id === id))) return;
      if (Date.now() > deadline) throw new Error(`deliveries ${ids.join(', ')} never became ${status}: ${JSON.stringify(listed)}`);
      await new Promise((resolvePromise) => setImmediate(resolvePromise));
    }
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    receiver.respond = answer(410); // gone: each delivery fails at its first attempt
    dataDir = mkdtempSync(join(tmpdir(), 'proof-webhooks-cli-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { DATA_DIR: dataDir, ADMIN_TOKEN };
    if (postgres) {
      const database = await testDatabase();
      dropDatabase = database.drop;
      const url = database.options.url!;
      env.DATABASE_URL = `${url}${url.includes('?') ? '&' : '?'}options=-c%20search_path%3D${database.options.schema}`;
    }
    serve = spawn(process.execPath, [BIN, 'serve'], {
      env: childEnv({ ...env, PORT: String(port), WEBHOOK_POLL_INTERVAL: '100ms' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    serveExit = new Promise((resolvePromise) => serve!.once('exit', (code) => resolvePromise(code)));
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`proof serve did not start:\n${serveOutput}`)), CHILD_TIMEOUT_MS);
      serve!.stdout!.on('data', (chunk: Buffer) => {
        serveOutput += chunk.toString();
        if (serveOutput.includes('listening')) {
          clearTimeout(timer);
          resolvePromise();
        }
      });
      serve!.stderr!.on('data', (chunk: Buffer) => (serveOutput += chunk.toString()));
      serve!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`proof serve exited with ${code}:\n${serveOutput}`));
      });
    });

    // A partner whose webhook goes to the local receiver, and two transactions that change status.
    const created = await adminCall('/partners', 'POST', {
      name: 'CLI Partner',
      contact_email: 'ops@cli.example',
      origins: ['https://cli.example'],
      assets: [{ currency: 'USDT', network: 'TRC20' }],
      sell: true,
      webhook_url: `${receiver.url}/hooks`,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    partner = created.body;
    for (const type of ['sell', 'sell']) {
      const session = await request(`${base}/widget/session`, { token: partner.client_token, body: sessionBody({ type }) });
      expect(session.status, JSON.stringify(session.body)).toBe(200);
      tx.push(session.body.merchant_transaction_id);
    }
    for (const id of tx) {
      const moved = await adminCall(`/sandbox/transactions/${id}/status`, 'POST', { status: 'processing' });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    }
    await receiver.waitFor(2, 10_000);
    failedIds = receiver.received.map((hook) => hook.headers['webhook-id'] as string);
    await until('failed', failedIds);
  }, STEP_TIMEOUT_MS);

  afterAll(async () => {
    if (serve && serve.exitCode === null && serve.signalCode === null) {
      serve.kill('SIGTERM');
      const timer = setTimeout(() => serve?.kill('SIGKILL'), 15_000);
      await serveExit;
      clearTimeout(timer);
    }
    await receiver?.close();
    await dropDatabase();
    rmSync(dataDir, { recursive: true, force: true });
  }, STEP_TIMEOUT_MS);

  it('list --json shows both failed deliveries; --status and --partner filter', { timeout: STEP_TIMEOUT_MS }, async () => {
    const listed = await cliJson(['list', '--json']);
    expect(listed.map((d: any) => d.id).sort()).toEqual([...failedIds].sort());
    for (const delivery of listed) {
      expect(delivery).toMatchObject({
        id: expect.stringMatching(/^msg_[0-9A-Za-z]{24}$/),
        partner_id: partner.partner_id,
        seq: 2,
        event_type: 'tx.update',
        url: `${receiver.url}/hooks`,
        status: 'failed',
        attempts: 1,
        last_status_code: 410,
        last_error: 'HTTP 410',
        delivered_at: null,
      });
    }
    expect(await cliJson(['list', '--status', 'failed', '--partner', partner.partner_id, '--limit', '1', '--json'])).toHaveLength(1);
    expect(await cliJson(['list', '--status', 'delivered', '--json'])).toEqual([]);
  });

  it('list without --json prints one line per delivery', { timeout: STEP_TIMEOUT_MS }, async () => {
    const result = await cli(['list']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trimEnd().split('\n').sort()).toEqual(
      failedIds.map((id) => `${id}  failed     attempts 1  tx.update  410 HTTP 410`).sort(),
    );
  });

  it('show prints the delivery with its payload and every attempt', { timeout: STEP_TIMEOUT_MS }, async () => {
    const hook = receiver.received.find((h) => h.headers['webhook-id'] === failedIds[0])!;
    const shown = await cliJson(['show', failedIds[0]!]);
    expect(shown).toMatchObject({ id: failedIds[0], status: 'failed', partner_id: partner.partner_id, payload: hook.json });
    expect(shown.payload).toMatchObject({
      merchant_transaction_id: expect.any(String),
      type: 'sell',
      status: 'processing',
      crypto_amount: '100',
    });
    expect(shown.attempts).toEqual([
      { attempt: 1, started_at: expect.any(String), status_code: 410, latency_ms: expect.any(Number), error: 'HTTP 410' },
    ]);
  });

  it('replay --failed queues them again and the server delivers them, same webhook-ids', { timeout: STEP_TIMEOUT_MS }, async () => {
    receiver.respond = answer(204);
    expect(await cliJson(['replay', '--failed', '--json'])).toEqual({ replayed: 2 });
    await receiver.waitFor(4, 10_000);
    expect(
      receiver.received
        .slice(2)
        .map((hook) => hook.headers['webhook-id'])
        .sort(),
    ).toEqual([...failedIds].sort());
    await until('delivered', failedIds);
    expect((await adminCall('/webhooks/deliveries?status=failed')).body.deliveries).toEqual([]);
    const again = await cli(['replay', '--failed']);
    expect(again).toEqual({ code: 0, stdout: 'Queued 0 failed deliveries again.\n', stderr: '' });
    const shown = (await adminCall(`/webhooks/deliveries/${failedIds[1]}`)).body;
    expect(shown.status).toBe('delivered');
    expect(shown.attempts.map((a: any) => [a.attempt, a.status_code])).toEqual([
      [1, 410],
      [1, 204],
    ]);
  });

  it('replay ID sends one delivery again', { timeout: STEP_TIMEOUT_MS }, async () => {
    const result = await cli(['replay', failedIds[0]!]);
    expect(result).toEqual({ code: 0, stdout: 'Queued again.\n', stderr: '' });
    await receiver.waitFor(5, 10_000);
    expect(receiver.received[4]!.headers['webhook-id']).toBe(failedIds[0]);
  });

  it('rotate-secret issues a new secret, and the server signs with both during the grace period', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const before = Date.now();
    const rotated = await cliJson(['rotate-secret', '--partner', partner.partner_id, '--grace', '1h', '--json']);
    expect(rotated).toEqual({
      partner_id: partner.partner_id,
      webhook_secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      previous_secret_expires_at: expect.any(String),
    });
    expect(Date.parse(rotated.previous_secret_expires_at)).toBeGreaterThanOrEqual(before + 3_600_000 - 1_000);
    expect(Date.parse(rotated.previous_secret_expires_at)).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(rotated.webhook_secret).not.toBe(partner.webhook_secret);
    expect((await adminCall(`/partners/${partner.partner_id}`)).body.webhook_secret).toBe(rotated.webhook_secret);

    const count = receiver.received.length;
    expect(await cli(['replay', failedIds[1]!])).toEqual({ code: 0, stdout: 'Queued again.\n', stderr: '' });
    await receiver.waitFor(count + 1, 10_000);
    const hook = receiver.received[count]!;
    expect(hook.signature.split(' ')).toHaveLength(2);
    expect(signatureValid(hook, rotated.webhook_secret)).toBe(true);
    expect(signatureValid(hook, partner.webhook_secret)).toBe(true);

    const human = await cli(['rotate-secret', '--partner', partner.partner_id, '--grace', '0']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /^New webhook_secret {2}whsec_\S+ {4}\(shown once\)\nMessages are also signed with the previous secret until \S+Z\.\n$/,
    );
  });

  it('refuses bad input with exit code 2 and a message', { timeout: STEP_TIMEOUT_MS }, async () => {
    expect(await cli(['show', 'msg_doesnotexist'])).toEqual({ code: 2, stdout: '', stderr: 'error: id: no delivery msg_doesnotexist\n' });
    expect(await cli(['list', '--status', 'lost'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: status: must be pending, delivered or failed\n',
    });
    expect(await cli(['rotate-secret'])).toEqual({ code: 2, stdout: '', stderr: 'error: partner: rotate-secret needs --partner ID\n' });
    expect(await cli(['rotate-secret', '--partner', 'ptr_doesnotexist'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: partner: no partner ptr_doesnotexist\n',
    });
    expect(await cli(['rotate-secret', '--partner', partner.partner_id, '--grace', 'soon'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: grace: not a duration: "soon" (use e.g. 30s, 60m, 24h)\n',
    });
  });
});
