import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startPartnerDemo } from '../examples/partner-demo/src/demo-server.ts';
import { loadConfig } from '../packages/server/src/config.ts';

/**
 * `npm start`: the platform (`proof serve`, unchanged, in a child process) and, beside it, the demo
 * partner (examples/partner-demo) on the sandbox partner `proof serve` seeds in development:
 *
 * 1. `proof serve` starts and prints its lines (passed through as they come);
 * 2. the demo starts on DEMO_PORT (4000) with the sandbox partner's client_token and webhook_secret
 *    (DATA_DIR/sandbox-partner.json);
 * 3. through the admin API, the sandbox partner gets the demo's origins registered (so its page may
 *    frame the widget) and its webhook_url pointed at the demo's receiver, unless the operator set
 *    another webhook_url (one a demo set, http://…/webhooks/proof, is replaced). A loopback webhook URL is deliverable because development mode allows
 *    private targets (WEBHOOK_ALLOW_PRIVATE_TARGETS); production refuses them and has no sandbox
 *    partner, so there the demo is left out.
 *
 * DEMO=0 leaves the demo out (then this is `proof serve` as it is); DEMO_PORT moves it, and
 * DEMO_PUBLIC_URL names it as browsers reach it (default http://localhost:DEMO_PORT). Ctrl-C
 * (SIGINT) or SIGTERM stops both; the platform's exit code is this script's.
 */

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'packages/server/bin/proof.js');
const env = process.env;
const demoWanted = !['0', 'false', 'off', 'no'].includes((env.DEMO ?? '').trim().toLowerCase());

const platform: ChildProcess = spawn(process.execPath, [BIN, 'serve', ...process.argv.slice(2)], {
  stdio: ['inherit', demoWanted ? 'pipe' : 'inherit', 'inherit'],
});
let demo: Awaited<ReturnType<typeof startPartnerDemo>> | null = null;
let stopping = false;

if (demoWanted) {
  // `proof serve` prints its whole announcement once it listens, ending with the admin token's line.
  let output = '';
  let started = false;
  platform.stdout!.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (started) return;
    output += chunk.toString();
    if (/\nAdmin (token in|API:)[^\n]*\n/.test(output)) {
      started = true;
      startDemo().catch((error: unknown) => console.error(`Demo partner: not started: ${(error as Error).message}`));
    }
  });
}

async function startDemo(): Promise<void> {
  const config = loadConfig(env);
  if (config.mode !== 'development') {
    console.log('\nDemo partner: not started (production mode seeds no sandbox partner)');
    return;
  }
  const saved = join(config.dataDir, 'sandbox-partner.json');
  const sandbox = JSON.parse(readFileSync(saved, 'utf8')) as { partner_id: string; client_token: string; webhook_secret: string };
  const adminToken = config.adminToken ?? readFileSync(join(config.dataDir, 'admin-token'), 'utf8').trim();
  const loopback = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  const platformApiUrl = `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${config.port}`;
  const port = env.DEMO_PORT ? Number(env.DEMO_PORT) : 4000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`DEMO_PORT must be a port number, not "${env.DEMO_PORT}"`);

  try {
    demo = await startPartnerDemo({
      platformUrl: config.publicUrl,
      platformApiUrl,
      clientToken: sandbox.client_token,
      webhookSecret: sandbox.webhook_secret,
      host: config.host,
      port,
      publicUrl: env.DEMO_PUBLIC_URL || undefined,
      // Development mode only (start.ts runs no demo in production): the page may send a sell's sandbox deposit.
      sandboxAdminToken: adminToken,
    });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    console.log(`\nDemo partner: not started, port ${port} is taken (set DEMO_PORT to another port, or DEMO=0)`);
    return;
  }
  if (stopping) return void (await demo.close());

  const note = await wireSandboxPartner(platformApiUrl, adminToken, sandbox.partner_id, demo).catch(
    (error: unknown) => `(the sandbox partner could not be pointed at the demo: ${(error as Error).message})`,
  );
  console.log(
    [
      '',
      `Demo partner: ${demo.url}/`,
      '  a shop on the sandbox partner: buy or sell in the widget (test card 4242 4242 4242 4242),',
      '  and watch its callbacks and webhooks arrive (DEMO=0 leaves it out, DEMO_PORT moves it)',
      ...(note ? [`  ${note}`] : []),
    ].join('\n'),
  );
}

/**
 * Registers the demo's origins for the sandbox partner and points its webhooks at the demo, through
 * the admin API. An operator's own webhook_url is kept (the note says so); one a demo set before
 * (http://…/webhooks/proof) is replaced.
 */
async function wireSandboxPartner(
  platformUrl: string,
  adminToken: string,
  partnerId: string,
  target: { origins: string[]; webhookUrl: string },
): Promise<string | null> {
  const admin = async (method: string, body?: unknown) => {
    const response = await fetch(`${platformUrl}/admin/partners/${partnerId}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = (await response.json()) as { origins: string[]; webhook_url: string | null; message?: string };
    if (!response.ok) throw new Error(`the admin API answered ${response.status}: ${answer.message ?? ''}`);
    return answer;
  };
  const partner = await admin('GET');
  const origins = [...new Set([...partner.origins, ...target.origins])];
  const ours = partner.webhook_url === null || /^http:\/\/[^/]+\/webhooks\/proof$/.test(partner.webhook_url);
  const change = {
    ...(origins.length !== partner.origins.length ? { origins } : {}),
    ...(ours && partner.webhook_url !== target.webhookUrl ? { webhook_url: target.webhookUrl } : {}),
  };
  if (Object.keys(change).length > 0) await admin('PATCH', change);
  return ours ? null : `(the sandbox partner's webhooks keep going to ${partner.webhook_url}, not to the demo)`;
}

const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  void demo?.close();
  // The platform stops on SIGINT and SIGTERM (a terminal's Ctrl-C reaches it directly too: once is enough).
  if (platform.exitCode === null && platform.signalCode === null) platform.kill(signal);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
platform.on('exit', (code, signal) => {
  stopping = true;
  void Promise.resolve(demo?.close()).finally(() => process.exit(code ?? (signal ? 1 : 0)));
});
