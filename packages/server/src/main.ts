import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApp } from './app.ts';
import { loadSecrets, type PlatformSecrets, type RunningPlatform, startPlatform } from './bootstrap.ts';
import { type Config, loadConfig } from './config.ts';
import { openDatabase } from './db/database.ts';
import { acquireEmbeddedLock, isEmbeddedLockHeld } from './db/embedded-lock.ts';
import { migrateToLatest } from './db/migrate.ts';
import { buildMetricsServer } from './http/metrics-api.ts';
import { WebSocketProcess } from './http/ws-process.ts';
import { createAdminClient } from './lib/admin-client.ts';
import { OffsetClock } from './lib/clock.ts';
import { ConfigurationError } from './lib/errors.ts';
import { ensurePrivateDir } from './lib/private-dir.ts';
import { localWebhookOperations, remoteWebhookOperations, runWebhooksCommand, WEBHOOKS_USAGE } from './modules/delivery/webhook-cli.ts';
import { PARTNERS_USAGE, runPartnersCommand } from './modules/partners/partner-cli.ts';
import { localPartnerOperations, remotePartnerOperations } from './modules/partners/partner-operations.ts';
import { PartnerNotFoundError } from './modules/partners/partner-service.ts';
import { ensureSandboxPartner } from './modules/partners/sandbox-partner.ts';
import { startBackgroundWork } from './workers.ts';

const USAGE = `proof <command>

  serve                 run the platform (HTTP API, admin API, docs)
  migrate               bring the database schema up to date
  partners …            manage partners (proof partners help)
  webhooks …            list, inspect and replay webhook deliveries (proof webhooks help)

Configuration comes from the environment; see README.md.`;

/** Each command's usage; `--help` or `-h` anywhere prints it and does nothing else. */
const USAGES: Record<string, string> = { serve: USAGE, migrate: USAGE, partners: PARTNERS_USAGE, webhooks: WEBHOOKS_USAGE };
/** The command groups also print their usage when given no subcommand, or `help`. */
const GROUPS = new Set(['partners', 'webhooks']);

async function main(argv: string[]): Promise<number> {
  const [command = '', ...args] = argv;
  const help = args.includes('--help') || args.includes('-h') || (GROUPS.has(command) && (args[0] === undefined || args[0] === 'help'));
  if (USAGES[command] && help) {
    console.log(USAGES[command]);
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate':
      return migrate(config);
    case 'webhooks':
      return webhooks(config, args);
    case 'partners':
      return partners(config, args);
    case '':
    case 'help':
    case '--help':
      console.log(USAGE);
      return 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

/** Embedded mode: which process holds the database (db/embedded-lock.ts) and where it answers. */
interface ServerMarker {
  pid: number;
  url: string;
}

function markerFile(config: Config): string {
  return join(config.dataDir, 'server.json');
}

/** The server holding the embedded database, if one is alive; the marker only says where it listens. */
async function runningEmbeddedServer(config: Config): Promise<ServerMarker | null> {
  if (config.databaseUrl || !(await isEmbeddedLockHeld(config.dataDir))) return null;
  try {
    return JSON.parse(readFileSync(markerFile(config), 'utf8')) as ServerMarker;
  } catch {
    return { pid: 0, url: `http://127.0.0.1:${config.port}` };
  }
}

function adminToken(config: Config): string {
  if (config.adminToken) return config.adminToken;
  const file = join(config.dataDir, 'admin-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = `adm_${randomBytes(24).toString('base64url')}`;
  ensurePrivateDir(config.dataDir);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

async function serve(baseConfig: Config): Promise<number> {
  const embedded = !baseConfig.databaseUrl;
  if (embedded) {
    // Claimed before the database opens, so a CLI started meanwhile never opens it a second time.
    ensurePrivateDir(baseConfig.dataDir);
    const lock = await acquireEmbeddedLock(baseConfig.dataDir);
    if (!lock) {
      const other = await runningEmbeddedServer(baseConfig);
      console.error(
        `Another proof serve (pid ${other?.pid ?? '?'}, ${other?.url ?? '?'}) already uses the embedded database in ${resolve(baseConfig.dataDir)}.`,
      );
      return 1;
    }
    writeFileSync(markerFile(baseConfig), JSON.stringify({ pid: process.pid, url: `http://127.0.0.1:${baseConfig.port}` }));
    process.on('exit', () => rmSync(markerFile(baseConfig), { force: true }));
  }
  const config = { ...baseConfig, adminToken: adminToken(baseConfig) };
  // The sandbox can move this clock forward (POST /admin/sandbox/clock) to trigger expiry and retries.
  const clock = config.sandboxTools ? new OffsetClock() : null;
  const secrets = loadSecrets(config);
  const platform = await startPlatform(config, { secrets, ...(clock ? { clock } : {}) });
  const webSockets = config.wsProcess === 'separate' ? webSocketProcess(platform, secrets, clock) : null;
  await webSockets?.start();
  const app = await buildApp(platform, webSockets ? { webSockets } : {});
  const sandbox = config.mode === 'development' ? await ensureSandboxPartner(platform) : null;
  await app.listen({ host: config.host, port: config.port });
  const metricsServer = config.metricsPort === undefined ? null : buildMetricsServer(platform);
  await metricsServer?.listen({ host: config.metricsHost, port: config.metricsPort });
  const background = startBackgroundWork(platform);

  const database = platform.dbKind === 'pglite' ? `embedded database in ${resolve(config.dataDir, 'db')}` : 'PostgreSQL';
  const lines = [`Proof Ramp listening on ${config.publicUrl} (${database})`, `  API reference: ${config.publicUrl}/docs`];
  if (metricsServer) lines.push(`  Metrics: http://${config.metricsHost}:${config.metricsPort}/metrics`);
  if (sandbox) {
    lines.push(
      '',
      `Sandbox partner (saved in ${resolve(config.dataDir, 'sandbox-partner.json')}):`,
      `  partner_id      ${sandbox.partner_id}`,
      `  widget_id       ${sandbox.widget_id}`,
      `  client_token    ${sandbox.client_token}`,
      `  webhook_secret  ${sandbox.webhook_secret}`,
      '',
      'For the README steps, in your shell:',
      `  export CLIENT_TOKEN=${sandbox.client_token}`,
      config.adminToken === baseConfig.adminToken
        ? '  (ADMIN_TOKEN is already in your environment)'
        : `  export ADMIN_TOKEN=$(cat ${resolve(config.dataDir, 'admin-token')})`,
      '',
      'Try:',
      `  curl -s ${config.publicUrl}/widget/session \\`,
      `    -H "Authorization: Bearer ${sandbox.client_token}" -H "Content-Type: application/json" \\`,
      `    -d '{"partner_user_id":"user-1","user_email":"user@example.com","currency":"USDT","network":"TRC20","amount":"100"}'`,
    );
  }
  lines.push(
    '',
    config.adminToken === baseConfig.adminToken
      ? 'Admin API: ADMIN_TOKEN from the environment'
      : `Admin token in ${resolve(config.dataDir, 'admin-token')}`,
  );
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await background.stop();
    await webSockets?.stop();
    await app.close();
    await metricsServer?.close();
    await platform.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return new Promise<number>(() => {});
}

/** The child serving /ws (WS_PROCESS=separate), with what it needs to be the same node. */
function webSocketProcess(platform: RunningPlatform, secrets: PlatformSecrets, clock: OffsetClock | null): WebSocketProcess {
  const { config } = platform;
  return new WebSocketProcess({
    logger: platform.logger,
    init: {
      signingSecret: secrets.signingSecret,
      encryptionKey: secrets.encryptionKey.toString('base64'),
      adminToken: config.adminToken,
      // Its database work is an authentication and a state read per subscription: half the node's pool.
      poolSize: Math.max(2, Math.ceil(config.databasePoolSize / 2)),
    },
    clock,
    onConnections: (count) => platform.metrics.websocketConnections.set(count),
  });
}

async function migrate(config: Config): Promise<number> {
  const server = await runningEmbeddedServer(config);
  if (server) {
    console.log(`The server (pid ${server.pid}) owns the embedded database and brought it up to date when it started; nothing to do.`);
    return 0;
  }
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrateToLatest(database.db);
    console.log(applied.length === 0 ? 'The schema is up to date.' : `Applied: ${applied.join(', ')}`);
    return 0;
  } finally {
    await database.close();
  }
}

async function partners(config: Config, args: string[]): Promise<number> {
  const server = await runningEmbeddedServer(config);
  if (server) {
    // The running server holds the embedded database: ask it through the admin API instead.
    return report(async () => {
      try {
        return await runPartnersCommand(
          args,
          remotePartnerOperations(createAdminClient({ baseUrl: server.url, adminToken: adminToken(config) })),
        );
      } catch (error) {
        if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw error;
        throw new ConfigurationError(
          'server',
          `the server (pid ${server.pid}) holds the embedded database but does not answer at ${server.url} yet; retry in a moment, or stop it to use the database directly`,
        );
      }
    });
  }
  const platform = await startPlatform({ ...config, logLevel: 'error' });
  try {
    return await report(() => runPartnersCommand(args, localPartnerOperations(platform)));
  } finally {
    await platform.close();
  }
}

async function webhooks(config: Config, args: string[]): Promise<number> {
  const server = await runningEmbeddedServer(config);
  if (server)
    return report(() =>
      runWebhooksCommand(args, remoteWebhookOperations(createAdminClient({ baseUrl: server.url, adminToken: adminToken(config) }))),
    );
  const platform = await startPlatform({ ...config, logLevel: 'error' });
  try {
    return await report(() => runWebhooksCommand(args, localWebhookOperations(platform)));
  } finally {
    await platform.close();
  }
}

async function report(run: () => Promise<string>): Promise<number> {
  try {
    console.log(await run());
    return 0;
  } catch (error) {
    if (
      error instanceof ConfigurationError ||
      error instanceof PartnerNotFoundError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`error: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
