import { parseDuration } from './lib/duration.ts';

/**
 * Every setting, read once from the environment. Defaults suit the embedded demo; production mode
 * refuses the ones that are only safe on a developer's machine.
 */
export interface Config {
  mode: 'development' | 'production';
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  adminToken: string | undefined;
  /** Keys the platform signs with (session signatures, init tokens). Generated in DATA_DIR when unset in development. */
  signingSecret: string | undefined;
  /** 32 bytes, base64: encrypts secrets and PII at rest. Generated in DATA_DIR when unset in development. */
  encryptionKey: string | undefined;
  initTokenTtlMs: number;
  tokenRotationGraceMs: number;
  idempotencyTtlMs: number;
  /** How long a node may trust its cached view of a token before asking the database again. */
  authCacheTtlMs: number;
  rateLimitPerMinute: number;
  bodyLimitBytes: number;
  trustProxy: boolean;
  logLevel: string;
  rateProvider: 'sandbox';
  /** Deliver webhooks to private, loopback and link-local addresses (a local receiver in development). */
  webhookAllowPrivateTargets: boolean;
  webhookTimeoutMs: number;
  webhookPollIntervalMs: number;
  sellDepositWindowMs: number;
  /** How long delivered webhooks and their attempts are kept for operators to inspect. */
  webhookRetentionMs: number;
  wsPingIntervalMs: number;
  wsMaxConnectionsPerToken: number;
  /** The sandbox operator calls (force a status, move the clock); never in production. */
  sandboxTools: boolean;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const mode = env.NODE_ENV === 'production' ? 'production' : 'development';
  const port = integer(env, 'PORT', 8080);
  const config: Config = {
    mode,
    host: env.HOST ?? '127.0.0.1',
    port,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    dataDir: env.DATA_DIR ?? './.data',
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10),
    adminToken: env.ADMIN_TOKEN || undefined,
    signingSecret: env.SIGNING_SECRET || undefined,
    encryptionKey: env.ENCRYPTION_KEY || undefined,
    initTokenTtlMs: duration(env, 'INIT_TOKEN_TTL', '60m'),
    tokenRotationGraceMs: duration(env, 'TOKEN_ROTATION_GRACE', '24h'),
    idempotencyTtlMs: duration(env, 'IDEMPOTENCY_TTL', '24h'),
    authCacheTtlMs: duration(env, 'AUTH_CACHE_TTL', '5s'),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 1200),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 64 * 1024),
    trustProxy: flag(env, 'TRUST_PROXY', false),
    logLevel: env.LOG_LEVEL ?? (mode === 'production' ? 'info' : 'warn'),
    rateProvider: 'sandbox',
    webhookAllowPrivateTargets: flag(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS', mode === 'development'),
    webhookTimeoutMs: duration(env, 'WEBHOOK_TIMEOUT', '10s'),
    webhookPollIntervalMs: duration(env, 'WEBHOOK_POLL_INTERVAL', '1000ms'),
    sellDepositWindowMs: duration(env, 'SELL_DEPOSIT_WINDOW', '6h'),
    webhookRetentionMs: duration(env, 'WEBHOOK_RETENTION', '30d'),
    wsPingIntervalMs: duration(env, 'WS_PING_INTERVAL', '30s'),
    wsMaxConnectionsPerToken: integer(env, 'WS_MAX_CONNECTIONS_PER_TOKEN', 100),
    sandboxTools: flag(env, 'SANDBOX_TOOLS', mode === 'development'),
  };
  if (env.RATE_PROVIDER && env.RATE_PROVIDER !== 'sandbox') {
    throw new Error(`RATE_PROVIDER=${env.RATE_PROVIDER} is not available; the only rate provider is "sandbox"`);
  }
  if (mode === 'production') assertProductionSafe(config);
  return config;
}

function assertProductionSafe(config: Config): void {
  const missing = (['databaseUrl', 'adminToken', 'signingSecret', 'encryptionKey'] as const).filter((key) => !config[key]);
  if (missing.length > 0) {
    const names = { databaseUrl: 'DATABASE_URL', adminToken: 'ADMIN_TOKEN', signingSecret: 'SIGNING_SECRET', encryptionKey: 'ENCRYPTION_KEY' };
    throw new Error(`production mode needs ${missing.map((key) => names[key]).join(', ')}`);
  }
  if (config.sandboxTools) throw new Error('production mode refuses SANDBOX_TOOLS');
  if (config.webhookAllowPrivateTargets) throw new Error('production mode refuses WEBHOOK_ALLOW_PRIVATE_TARGETS');
  if (config.rateProvider === 'sandbox') {
    throw new Error('production mode refuses the sandbox rate provider, and no live rate provider is configured yet');
  }
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (['1', 'true', 'yes'].includes(text)) return true;
  if (['0', 'false', 'no'].includes(text)) return false;
  throw new Error(`${name} must be true or false, got "${text}"`);
}

function integer(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) throw new Error(`${name} must be a whole number, got "${text}"`);
  return Number(text);
}

function duration(env: Env, name: string, fallback: string): number {
  try {
    return parseDuration(env[name] || fallback);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
}
