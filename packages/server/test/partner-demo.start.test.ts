import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/net.ts';
import { childDatabase, childEnv } from './helpers/proof-child.ts';
import { request } from './helpers/test-platform.ts';

/**
 * `npm start` (scripts/start.ts) as a newcomer runs it: `proof serve` and, beside it, the demo
 * partner on the seeded sandbox partner, whose origins and webhook_url it points at the demo.
 * Real child processes (the test runner's Node 24); the embedded database, or with
 * PROOF_TEST_DB=postgres a PostgreSQL schema of its own.
 */

const START = resolve(import.meta.dirname, '../../../scripts/start.ts');
const STEP_TIMEOUT_MS = 90_000;

interface Started {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts `npm start`'s script and resolves once `text` is in its output. */
async function start(env: Record<string, string>, text: string): Promise<Started> {
  const child = spawn(process.execPath, [START], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolvePromise) => child.once('exit', (code) => resolvePromise(code)));
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not print "${text}" in time:\n${output}`)), 60_000);
    const check = () => {
      if (!output.includes(text)) return;
      clearTimeout(timer);
      resolvePromise();
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { process: child, output: () => output, exited, stop };
}

async function listening(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return true;
  } catch {
    return false;
  }
}

describe('npm start: the platform and the demo partner beside it', () => {
  let dataDir: string;
  let port: number;
  let demoPort: number;
  let env: Record<string, string>;
  let dropDatabase: () => Promise<void> = async () => {};
  let running: Started | null = null;
  let sandbox: { partner_id: string; widget_id: string; client_token: string; webhook_secret: string };
  let adminToken: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'proof-start-'));
    [port, demoPort] = [await freePort(), await freePort()];
    const database = await childDatabase();
    dropDatabase = database.drop;
    // No ADMIN_TOKEN: as on a newcomer's machine, `proof serve` generates one into DATA_DIR.
    const { ADMIN_TOKEN: _, ...databaseEnv } = database.env;
    env = { ...databaseEnv, PORT: String(port), DATA_DIR: dataDir, DEMO_PORT: String(demoPort), WEBHOOK_POLL_INTERVAL: '100ms' };
    running = await start(env, 'Demo partner:');
    sandbox = JSON.parse(readFileSync(join(dataDir, 'sandbox-partner.json'), 'utf8'));
    adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  }, STEP_TIMEOUT_MS);

  afterAll(async () => {
    await running?.stop();
    await dropDatabase();
    rmSync(dataDir, { recursive: true, force: true });
  }, STEP_TIMEOUT_MS);

  it('prints what proof serve prints, then the demo’s address', () => {
    const output = running!.output();
    expect(output).toContain(`Proof Ramp listening on http://localhost:${port}`);
    expect(output).toContain(`  export CLIENT_TOKEN=${sandbox.client_token}`);
    expect(output).toContain(`  export ADMIN_TOKEN=$(cat ${join(dataDir, 'admin-token')})`);
    expect(output).toContain(`\nDemo partner: http://localhost:${demoPort}/\n`);
    expect(output.indexOf('Demo partner:')).toBeGreaterThan(output.indexOf('Admin token in'));
  });

  it('registered the demo’s origins for the sandbox partner and pointed its webhooks at the demo', async () => {
    const partner = await request(`http://127.0.0.1:${port}/admin/partners/${sandbox.partner_id}`, { token: adminToken });
    expect(partner.status).toBe(200);
    expect(partner.body).toMatchObject({
      origins: [`http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://localhost:${demoPort}`, `http://127.0.0.1:${demoPort}`],
      webhook_url: `http://localhost:${demoPort}/webhooks/proof`,
    });
    // So the widget's iframe may be framed by the demo's page.
    const frame = await fetch(`http://127.0.0.1:${port}/embed/v1/frame?widget_id=${sandbox.widget_id}`);
    expect(frame.headers.get('content-security-policy')).toContain(`http://localhost:${demoPort} http://127.0.0.1:${demoPort}`);
  });

  it('the demo answers, and its /api/session gets a session of the sandbox partner from the platform', async () => {
    const page = await fetch(`http://localhost:${demoPort}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`<script src="http://localhost:${port}/widget.2.0.js" defer></script>`);
    const response = await fetch(`http://localhost:${demoPort}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'buy', asset: 'USDT:TRC20', amount: '100' }),
    });
    expect(response.status).toBe(200);
    const { session, hosted_url } = await response.json();
    expect(session).toMatchObject({ widget_id: sandbox.widget_id, type: 'buy', amount: '100', fiat_amount: '94.80' });
    expect(hosted_url).toMatch(new RegExp(`^http://localhost:${port}/embed/v1/hosted\\?widget_id=${sandbox.widget_id}#`));
    const transaction = await request(`http://127.0.0.1:${port}/widget/transactions/${session.merchant_transaction_id}`, {
      token: sandbox.client_token,
    });
    expect(transaction.body).toMatchObject({ status: 'pending', partner_user_id: 'demo-user-1' });

    // The platform's webhook for it reaches the demo, which relays it to its page.
    const controller = new AbortController();
    const events = await fetch(`http://localhost:${demoPort}/api/events`, { signal: controller.signal });
    let text = '';
    const reading = (async () => {
      for await (const chunk of events.body!) {
        text += Buffer.from(chunk).toString();
        if (text.includes('"status":"processing"')) return;
      }
    })();
    const moved = await request(`http://127.0.0.1:${port}/admin/sandbox/transactions/${session.merchant_transaction_id}/status`, {
      token: adminToken,
      body: { status: 'processing' },
    });
    expect(moved.status).toBe(200);
    await Promise.race([reading, new Promise((_, reject) => setTimeout(() => reject(new Error(`no webhook relayed: ${text}`)), 20_000))]);
    controller.abort();
    expect(text).toContain(`"merchant_transaction_id":"${session.merchant_transaction_id}"`);
  });

  it('its webhook receiver takes the sandbox partner’s signature and refuses another', async () => {
    const body = JSON.stringify({ merchant_transaction_id: 'by-hand', type: 'buy', status: 'processing' });
    const send = (secret: string) => {
      const id = `msg_${randomUUID()}`;
      const at = new Date();
      return fetch(`http://localhost:${demoPort}/webhooks/proof`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(id, at, body),
        },
        body,
      });
    };
    expect((await send(sandbox.webhook_secret)).status).toBe(204);
    expect((await send(`whsec_${Buffer.from('not the sandbox partner secret!!').toString('base64')}`)).status).toBe(400);
  });

  it('stops both on SIGTERM, and DEMO=0 starts the platform alone', { timeout: STEP_TIMEOUT_MS }, async () => {
    expect(await running!.stop()).toBe(0);
    expect(await listening(`http://127.0.0.1:${demoPort}/`)).toBe(false);
    expect(await listening(`http://127.0.0.1:${port}/healthz`)).toBe(false);

    running = await start({ ...env, DEMO: '0' }, 'Admin token in');
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 1_000));
    expect(running.output()).toContain(`Proof Ramp listening on http://localhost:${port}`);
    expect(running.output()).not.toContain('Demo partner');
    expect(await listening(`http://127.0.0.1:${demoPort}/`)).toBe(false);
    expect(await running.stop()).toBe(0);
  });
});
