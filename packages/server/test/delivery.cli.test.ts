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
 * `proof webhooks list|show|replay|status|enable|rotate-secret` as an operator runs it: a real child process against a running
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
  let keptIds: string[] = [];

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
    receiver.respond = answer(410); // gone: the endpoint is disabled at the first attempt
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
    // The first change is answered 410: the endpoint is disabled (gone) and the message kept; the
    // second change, made while it is disabled, is kept without an attempt.
    const moveToProcessing = async (id: string) => {
      const moved = await adminCall(`/sandbox/transactions/${id}/status`, 'POST', { status: 'processing' });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    };
    await moveToProcessing(tx[0]!);
    await receiver.waitFor(1, 10_000);
    const deadline = Date.now() + 10_000;
    while (!(await adminCall(`/partners/${partner.partner_id}/webhook`)).body.disabled) {
      if (Date.now() > deadline) throw new Error('the endpoint was never disabled');
      await new Promise((resolvePromise) => setImmediate(resolvePromise));
    }
    await moveToProcessing(tx[1]!);
    const listed = (await adminCall(`/webhooks/deliveries?partner_id=${partner.partner_id}`)).body.deliveries as Array<{ id: string }>;
    const first = receiver.received[0]!.headers['webhook-id'] as string;
    keptIds = [first, ...listed.map((d) => d.id).filter((id) => id !== first)];
    expect(keptIds).toHaveLength(2);
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

  it('status shows the endpoint disabled (gone) with both messages kept; list shows them', { timeout: STEP_TIMEOUT_MS }, async () => {
    expect(await cliJson(['status', partner.partner_id, '--json'])).toEqual({
      partner_id: partner.partner_id,
      url: `${receiver.url}/hooks`,
      disabled: true,
      disabled_reason: 'gone',
      disabled_at: expect.any(String),
      failing_since: expect.any(String),
      pending: 2,
    });
    const status = await cli(['status', partner.partner_id]);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(
      new RegExp(
        `^Endpoint ${receiver.url}/hooks {2}DISABLED \\(gone\\) at \\S+Z {2}2 pending, kept until \`proof webhooks enable ${partner.partner_id}\`\n$`,
      ),
    );
  });

  it('list --json shows both kept messages; --status and --partner filter', { timeout: STEP_TIMEOUT_MS }, async () => {
    const listed = await cliJson(['list', '--json']);
    expect(listed.map((d: any) => d.id).sort()).toEqual([...keptIds].sort());
    const byId = Object.fromEntries(listed.map((d: any) => [d.id, d]));
    expect(byId[keptIds[0]!]).toMatchObject({
      id: expect.stringMatching(/^msg_[0-9A-Za-z]{24}$/),
      partner_id: partner.partner_id,
      seq: 2,
      event_type: 'tx.update',
      url: `${receiver.url}/hooks`,
      status: 'pending',
      attempts: 1,
      last_status_code: 410,
      last_error: 'HTTP 410',
      delivered_at: null,
    });
    expect(byId[keptIds[1]!]).toMatchObject({ status: 'pending', attempts: 0, last_status_code: null });
    expect(await cliJson(['list', '--status', 'pending', '--partner', partner.partner_id, '--limit', '1', '--json'])).toHaveLength(1);
    expect(await cliJson(['list', '--status', 'delivered', '--json'])).toEqual([]);
  });

  it('list without --json prints one line per delivery, after the endpoint line when one partner is asked for', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const result = await cli(['list']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trimEnd().split('\n').sort()).toEqual(
      [`${keptIds[0]}  pending    attempts 1  tx.update  410 HTTP 410`, `${keptIds[1]}  pending    attempts 0  tx.update`].sort(),
    );
    const mine = await cli(['list', '--partner', partner.partner_id]);
    expect(mine.stdout.split('\n')[0]).toMatch(/^Endpoint \S+ {2}DISABLED \(gone\)/);
  });

  it('show prints the delivery with its payload and every attempt, with its trigger', { timeout: STEP_TIMEOUT_MS }, async () => {
    const hook = receiver.received.find((h) => h.headers['webhook-id'] === keptIds[0])!;
    const shown = await cliJson(['show', keptIds[0]!]);
    expect(shown).toMatchObject({ id: keptIds[0], status: 'pending', partner_id: partner.partner_id, payload: hook.json });
    expect(shown.payload).toMatchObject({
      merchant_transaction_id: expect.any(String),
      type: 'sell',
      status: 'processing',
      crypto_amount: '100',
    });
    expect(shown.attempts).toEqual([
      {
        attempt: 1,
        trigger: 'scheduled',
        started_at: expect.any(String),
        status_code: 410,
        latency_ms: expect.any(Number),
        error: 'HTTP 410',
      },
    ]);
  });

  it('enable sends what waited (the server delivers it), same webhook-ids', { timeout: STEP_TIMEOUT_MS }, async () => {
    receiver.respond = answer(204);
    expect(await cli(['enable', partner.partner_id])).toEqual({
      code: 0,
      stdout: 'Enabled; 2 waiting messages will be sent, in order.\n',
      stderr: '',
    });
    await receiver.waitFor(3, 10_000);
    expect(
      receiver.received
        .slice(1)
        .map((hook) => hook.headers['webhook-id'])
        .sort(),
    ).toEqual([...keptIds].sort());
    await until('delivered', keptIds);
    expect(await cliJson(['status', partner.partner_id, '--json'])).toMatchObject({ disabled: false, disabled_reason: null, pending: 0 });
    expect((await cli(['enable', partner.partner_id])).stdout).toBe('Enabled; 0 waiting messages will be sent, in order.\n');
    const shown = (await adminCall(`/webhooks/deliveries/${keptIds[0]}`)).body;
    expect(shown.status).toBe('delivered');
    expect(shown.attempts.map((a: any) => [a.attempt, a.trigger, a.status_code])).toEqual([
      [1, 'scheduled', 410],
      [2, 'scheduled', 204],
    ]);
  });

  it('replay --failed finds none; replay ID sends one delivery again, a manual attempt', { timeout: STEP_TIMEOUT_MS }, async () => {
    expect(await cliJson(['replay', '--failed', '--json'])).toEqual({ replayed: 0 });
    expect(await cli(['replay', '--failed'])).toEqual({ code: 0, stdout: 'Queued 0 failed deliveries again.\n', stderr: '' });
    const result = await cli(['replay', keptIds[0]!]);
    expect(result).toEqual({ code: 0, stdout: 'Queued again.\n', stderr: '' });
    await receiver.waitFor(4, 10_000);
    expect(receiver.received[3]!.headers['webhook-id']).toBe(keptIds[0]);
    await until('delivered', [keptIds[0]!]);
    const shown = (await adminCall(`/webhooks/deliveries/${keptIds[0]}`)).body;
    expect(shown.attempts.map((a: any) => [a.attempt, a.trigger, a.status_code])).toEqual([
      [1, 'scheduled', 410],
      [2, 'scheduled', 204],
      [1, 'manual', 204],
    ]);
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
    expect(await cli(['replay', keptIds[1]!])).toEqual({ code: 0, stdout: 'Queued again.\n', stderr: '' });
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

  it('status and enable refuse a missing or unknown partner with exit code 2', { timeout: STEP_TIMEOUT_MS }, async () => {
    expect(await cli(['enable'])).toEqual({ code: 2, stdout: '', stderr: 'error: partner: enable needs a partner id\n' });
    expect(await cli(['status', 'ptr_doesnotexist'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: partner: no partner ptr_doesnotexist\n',
    });
    expect(await cli(['enable', 'ptr_doesnotexist'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: partner: no partner ptr_doesnotexist\n',
    });
  });
});
