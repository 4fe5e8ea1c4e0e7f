import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import { type Database, type DatabaseOptions, type Db, openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { type Clock, systemClock } from './lib/clock.ts';
import { ConcurrencyLimit } from './lib/concurrency-limit.ts';
import { deriveKey, Sealer } from './lib/crypto.ts';
import { createMetrics } from './lib/metrics.ts';
import { Notifier } from './lib/notifier.ts';
import { ensurePrivateDir } from './lib/private-dir.ts';
import { type EventBus, LocalEventBus, PostgresEventBus } from './modules/delivery/event-bus.ts';
import { measureWebhookQueue } from './modules/delivery/measure-webhook-queue.ts';
import { OutboxNotifier } from './modules/delivery/outbox-notifier.ts';
import type { Platform } from './platform.ts';
import { buildProviders, instrumentProviders, type Providers } from './providers.ts';

export interface PlatformOptions {
  clock?: Clock;
  logger?: Logger;
  /** Replaces single adapters (tests); the rest come from configuration. */
  providers?: Partial<Providers>;
  /** Overrides where the database is (tests use an in-memory PGlite or their own schema). */
  database?: DatabaseOptions;
  secrets?: PlatformSecrets;
}

export interface PlatformSecrets {
  signingSecret: string;
  encryptionKey: Buffer;
}

export interface RunningPlatform extends Platform {
  close(): Promise<void>;
}

/** Opens the database, brings its schema up to date and wires the adapters chosen by configuration. */
export async function startPlatform(config: Config, options: PlatformOptions = {}): Promise<RunningPlatform> {
  const logger =
    options.logger ??
    pino({
      level: config.logLevel,
      redact: ['req.headers.authorization', '*.client_token', '*.webhook_secret'],
      // The older WebSocket form carries the client token in the query string: never log it.
      serializers: {
        req: (req: { method?: string; url?: string; id?: string }) => ({ id: req.id, method: req.method, url: redactQueryToken(req.url) }),
      },
    });
  const secrets = options.secrets ?? loadSecrets(config);
  // Built before the database opens: a wrong adapter setting stops the start with nothing to clean up.
  // Adapters keeping state in the database (the sandbox chain) reach it once it is open.
  let opened: Db | undefined;
  const db = (): Db => {
    if (!opened) throw new Error('the database is not open yet');
    return opened;
  };
  const providers = buildProviders(
    { config, clock: options.clock ?? systemClock, signingSecret: secrets.signingSecret, logger, db },
    options.providers,
  );
  const databaseOptions = options.database ?? { url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize };
  const database: Database = await openDatabase(databaseOptions);
  let bus: EventBus = new LocalEventBus();
  try {
    if (databaseOptions.url) {
      bus = new PostgresEventBus({
        connectionString: databaseOptions.url,
        channel: eventChannel(databaseOptions.schema ?? (await currentSchema(database.db))),
        onError: (error) => logger.warn({ err: error }, 'event bus connection problem'),
      });
    }
    await migrateToLatest(database.db);
    opened = database.db;
    await bus.start();
  } catch (error) {
    await database.close();
    throw error;
  }
  const clock = options.clock ?? systemClock;
  const statusChangeLimit = new ConcurrencyLimit(config.statusChangeConcurrency);
  const metrics = createMetrics({
    webhookQueue: () => measureWebhookQueue(database.db, clock.now()),
    pool: database.poolStats,
    statusChangesWaiting: () => statusChangeLimit.queued,
  });
  return {
    config,
    db: database.db,
    dbKind: database.kind,
    dbReadiness: database.readiness,
    clock,
    logger,
    keys: {
      initToken: deriveKey(secrets.signingSecret, 'init-token'),
      sessionSignature: deriveKey(secrets.signingSecret, 'session-signature'),
      widgetCredential: deriveKey(secrets.signingSecret, 'widget-credential'),
      rateLimitKeys: deriveKey(secrets.signingSecret, 'rate-limit-keys'),
    },
    sealer: new Sealer(secrets.encryptionKey),
    providers: instrumentProviders(providers, metrics),
    bus,
    outboxNotifier: new OutboxNotifier(),
    metrics,
    inboxNotifier: new Notifier(),
    transferNotifier: new Notifier(),
    statusChangeLimit,
    close: async () => {
      await bus.stop();
      await database.close();
    },
  };
}

/**
 * The NOTIFY channel of the deployment in `schema`: one per schema, also when the schema is chosen
 * by the URL's search_path (as `proof serve` does), so deployments sharing a database never hear
 * each other's changes. (LISTEN/NOTIFY channels are database-wide, not per schema.)
 */
export function eventChannel(schema: string): string {
  if (/^[a-z0-9_]{1,50}$/.test(schema)) return `proof_events_${schema}`;
  return `proof_events_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}`;
}

async function currentSchema(db: Db): Promise<string> {
  const row = (await sql<{ name: string | null }>`select current_schema() as name`.execute(db)).rows[0];
  return row?.name ?? 'public';
}

/**
 * Secrets from the environment; in development, missing ones are generated once and kept in
 * DATA_DIR/secrets.json (mode 0600) so sessions and encrypted rows survive a restart.
 */
export function loadSecrets(config: Config): PlatformSecrets {
  let stored: { signing_secret?: string; encryption_key?: string } = {};
  const file = join(config.dataDir, 'secrets.json');
  const needGenerated = !config.signingSecret || !config.encryptionKey;
  if (needGenerated) {
    if (config.mode === 'production') throw new Error('production mode needs SIGNING_SECRET and ENCRYPTION_KEY');
    if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8'));
    if (!stored.signing_secret || !stored.encryption_key) {
      stored = { signing_secret: randomBytes(32).toString('base64url'), encryption_key: randomBytes(32).toString('base64'), ...stored };
      ensurePrivateDir(config.dataDir);
      writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    }
  }
  const encryptionKey = Buffer.from(config.encryptionKey ?? stored.encryption_key!, 'base64');
  if (encryptionKey.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  const signingSecret = config.signingSecret ?? stored.signing_secret!;
  if (signingSecret.length < 32) throw new Error('SIGNING_SECRET must be at least 32 characters');
  return { signingSecret, encryptionKey };
}

export function redactQueryToken(url: string | undefined): string | undefined {
  return url?.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}
