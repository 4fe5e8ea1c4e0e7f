import ipaddr from 'ipaddr.js';
import { parseDuration } from './lib/duration.ts';
import { type NetworkFeeTable, parseNetworkFees } from './modules/pricing/network-fees.ts';
import { assertChainsProductionSafe, type ChainSettings, parseChainSettings } from './modules/settlement/chain-settings.ts';

/**
 * Every setting, read once from the environment. Defaults suit the embedded demo; production mode
 * refuses the ones that are only safe on a developer's machine.
 */
export interface Config {
  mode: 'development' | 'production';
  host: string;
  port: number;
  /**
   * Where GET /metrics is served on a port of its own, without authentication (keep it off public
   * networks); when unset, /metrics is on the main port behind the admin token.
   */
  metricsPort: number | undefined;
  metricsHost: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /**
   * How many status changes made directly (the sandbox route, a user's cancel, a KYC rejection) run
   * at once on this node; the rest wait their turn. A fifth of the pool by default (decision 0027).
   */
  statusChangeConcurrency: number;
  /**
   * Where rate limits are counted when set (redis:// or rediss://), instead of the database: every node
   * on this Redis shares them. It may carry a password: it is never logged or echoed in an error.
   */
  redisUrl: string | undefined;
  /** Put before every key this deployment writes to Redis, so deployments sharing one Redis stay apart. */
  redisKeyPrefix: string;
  adminToken: string | undefined;
  /** Keys the platform signs with (session signatures, init tokens). Generated in DATA_DIR when unset in development. */
  signingSecret: string | undefined;
  /** 32 bytes, base64: encrypts secrets and PII at rest. Generated in DATA_DIR when unset in development. */
  encryptionKey: string | undefined;
  initTokenTtlMs: number;
  /** How long a quote holds once locked (at session creation, or when the user picks or refreshes the amount). */
  quoteTtlMs: number;
  /** How long the iframe's widget credential (exchanged once for the init_token) lasts. */
  widgetCredentialTtlMs: number;
  /** Requests a minute per widget credential (and per address for openings) on the embed API. */
  embedRateLimitPerMinute: number;
  tokenRotationGraceMs: number;
  idempotencyTtlMs: number;
  /** How long a node may trust its cached view of a token before asking the database again. */
  authCacheTtlMs: number;
  rateLimitPerMinute: number;
  bodyLimitBytes: number;
  /** The whole request (headers and body) must arrive within this; a client that stalls is answered 408. */
  requestTimeoutMs: number;
  /** The headers must arrive within this (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** A connection with no traffic at all for this long is closed (idle keep-alive included). */
  connectionTimeoutMs: number;
  /**
   * Which proxies' X-Forwarded-For entries to believe: false (none: the socket's peer is the client), a
   * number of hops (the entry that many proxies from the socket; each proxy appends the peer it saw),
   * a list of proxy addresses or CIDRs, or true (every entry: only safe when the proxy strips what the
   * client sent; refused in production).
   */
  trustProxy: boolean | number | string[];
  logLevel: string;
  /** Where rates come from: the fixed sandbox table, or Kraken's public market data. */
  rateProvider: 'sandbox' | 'kraken';
  /** Settings of a live rate provider; unset ones take the adapter's documented defaults. */
  rates: {
    krakenApiUrl: string | undefined;
    timeoutMs: number | undefined;
    cacheTtlMs: number | undefined;
    maxAgeMs: number | undefined;
    /** NETWORK_FEES laid over the default table; undefined when unset. */
    networkFees: NetworkFeeTable | undefined;
  };
  /**
   * Who hands out sell deposit addresses: `hd` (derived from an extended public key: the operator's
   * wallet holds the private keys), the keyless sandbox, or nobody (sell sessions are refused).
   */
  depositAddressProvider: 'sandbox' | 'hd' | 'none';
  /** The extended public keys `hd` derives from: DEPOSIT_XPUB for every family, or one per family (EVM, TRON, Bitcoin). */
  depositXpubs: { all: string | undefined; evm: string | undefined; tron: string | undefined; bitcoin: string | undefined };
  /** Who verifies identities: the sandbox (decides by documented test names), or nobody (submissions answer 502). */
  kycProvider: 'sandbox' | 'none';
  /** How long the sandbox KYC provider waits before it calls back with its decision. */
  sandboxKycDelayMs: number;
  /** Largest accepted identity document or selfie, in bytes. */
  kycMaxUploadBytes: number;
  /** Uploaded identity documents are deleted this long after their upload. */
  kycDocumentRetentionMs: number;
  /** Who takes card and wallet payments: the sandbox (outcomes by documented test cards), or nobody (payments answer 502). */
  paymentProvider: 'sandbox' | 'none';
  /** Payment attempts per transaction; when the last one is declined or fails, the transaction fails (payment_declined). */
  paymentMaxAttempts: number;
  /** How long the sandbox payment provider waits before it calls back with an outcome. */
  sandboxPaymentDelayMs: number;
  /** Who pays sells out to cards: the sandbox (outcomes by documented test cards), or nobody (payout cards answer 502). */
  payoutProvider: 'sandbox' | 'none';
  /** How long the sandbox payout provider waits before it calls back with an outcome. */
  sandboxPayoutDelayMs: number;
  /** How often the off-ramp worker reads new deposits, decides confirmed ones and sends payouts. */
  depositPollIntervalMs: number;
  /** How long after a sell's deposit window its address is still watched, so a late deposit is recorded for the operator. */
  lateDepositWatchMs: number;
  /** Which chain adapter each network uses (evm, sandbox, none), its confirmations, the EVM endpoints and the hot wallet key. */
  chains: ChainSettings;
  /** Deliver webhooks to private, loopback and link-local addresses (a local receiver in development). */
  webhookAllowPrivateTargets: boolean;
  webhookTimeoutMs: number;
  webhookPollIntervalMs: number;
  /** How often the settlement worker looks again at transfers on their way (mined yet? deep enough?). */
  settlementPollIntervalMs: number;
  /** How long a transfer the hot wallet cannot cover, or the node refuses for now, waits before it is tried again. */
  settlementRetryMs: number;
  sellDepositWindowMs: number;
  /** How long delivered webhooks and their attempts are kept for operators to inspect. */
  webhookRetentionMs: number;
  /** An endpoint whose every attempt has failed for this long is disabled (its messages wait until it is enabled). */
  webhookDisableAfterMs: number;
  wsPingIntervalMs: number;
  wsMaxConnectionsPerToken: number;
  /**
   * Where WebSocket subscribers are served: `separate`, a child process the node hands each /ws
   * upgrade to, so a broadcast to thousands of sockets never holds the API's event loop; `inline`,
   * the API's own process (the only choice on the embedded database, which one process holds).
   */
  wsProcess: 'separate' | 'inline';
  /** The sandbox operator calls (force a status, move the clock); never in production. */
  sandboxTools: boolean;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const mode = env.NODE_ENV === 'production' ? 'production' : 'development';
  const port = integer(env, 'PORT', 8080);
  const databasePoolSize = integer(env, 'DATABASE_POOL_SIZE', 10);
  const config: Config = {
    mode,
    host: env.HOST ?? '127.0.0.1',
    port,
    metricsPort: env.METRICS_PORT ? integer(env, 'METRICS_PORT', 0) : undefined,
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    dataDir: env.DATA_DIR ?? './.data',
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolSize,
    statusChangeConcurrency: integer(env, 'STATUS_CHANGE_CONCURRENCY', Math.max(1, Math.floor(databasePoolSize / 5))),
    redisUrl: redisUrl(env.REDIS_URL),
    redisKeyPrefix: env.REDIS_KEY_PREFIX || 'proof:',
    adminToken: env.ADMIN_TOKEN || undefined,
    signingSecret: env.SIGNING_SECRET || undefined,
    encryptionKey: env.ENCRYPTION_KEY || undefined,
    initTokenTtlMs: duration(env, 'INIT_TOKEN_TTL', '60m'),
    quoteTtlMs: duration(env, 'QUOTE_TTL', '2m'),
    widgetCredentialTtlMs: duration(env, 'WIDGET_CREDENTIAL_TTL', '60m'),
    embedRateLimitPerMinute: integer(env, 'EMBED_RATE_LIMIT_PER_MINUTE', 300),
    tokenRotationGraceMs: duration(env, 'TOKEN_ROTATION_GRACE', '24h'),
    idempotencyTtlMs: duration(env, 'IDEMPOTENCY_TTL', '24h'),
    authCacheTtlMs: duration(env, 'AUTH_CACHE_TTL', '5s'),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 1200),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 64 * 1024),
    requestTimeoutMs: duration(env, 'REQUEST_TIMEOUT', '30s'),
    headersTimeoutMs: duration(env, 'HEADERS_TIMEOUT', '10s'),
    connectionTimeoutMs: duration(env, 'CONNECTION_TIMEOUT', '120s'),
    trustProxy: trustProxy(env.TRUST_PROXY),
    logLevel: env.LOG_LEVEL ?? (mode === 'production' ? 'info' : 'warn'),
    rateProvider: choice(env, 'RATE_PROVIDER', ['sandbox', 'kraken'], 'sandbox'),
    rates: {
      krakenApiUrl: url(env, 'KRAKEN_API_URL'),
      timeoutMs: optionalDuration(env, 'RATES_TIMEOUT'),
      cacheTtlMs: optionalDuration(env, 'RATES_CACHE_TTL'),
      maxAgeMs: optionalDuration(env, 'RATES_MAX_AGE'),
      networkFees: env.NETWORK_FEES ? networkFees(env.NETWORK_FEES) : undefined,
    },
    depositAddressProvider: choice(env, 'DEPOSIT_ADDRESS_PROVIDER', ['sandbox', 'hd', 'none'], mode === 'production' ? 'none' : 'sandbox'),
    depositXpubs: {
      all: env.DEPOSIT_XPUB || undefined,
      evm: env.DEPOSIT_XPUB_EVM || undefined,
      tron: env.DEPOSIT_XPUB_TRON || undefined,
      bitcoin: env.DEPOSIT_XPUB_BITCOIN || undefined,
    },
    kycProvider: choice(env, 'KYC_PROVIDER', ['sandbox', 'none'], mode === 'production' ? 'none' : 'sandbox'),
    sandboxKycDelayMs: duration(env, 'SANDBOX_KYC_DELAY', '3s'),
    kycMaxUploadBytes: integer(env, 'KYC_MAX_UPLOAD_BYTES', 10 * 1024 * 1024),
    kycDocumentRetentionMs: duration(env, 'KYC_DOCUMENT_RETENTION', '90d'),
    paymentProvider: choice(env, 'PAYMENT_PROVIDER', ['sandbox', 'none'], mode === 'production' ? 'none' : 'sandbox'),
    paymentMaxAttempts: integer(env, 'PAYMENT_MAX_ATTEMPTS', 5),
    sandboxPaymentDelayMs: duration(env, 'SANDBOX_PAYMENT_DELAY', '2s'),
    payoutProvider: choice(env, 'PAYOUT_PROVIDER', ['sandbox', 'none'], mode === 'production' ? 'none' : 'sandbox'),
    sandboxPayoutDelayMs: duration(env, 'SANDBOX_PAYOUT_DELAY', '2s'),
    depositPollIntervalMs: duration(env, 'DEPOSIT_POLL_INTERVAL', '10s'),
    lateDepositWatchMs: duration(env, 'LATE_DEPOSIT_WATCH', '7d'),
    chains: parseChainSettings(env, mode),
    webhookAllowPrivateTargets: flag(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS', mode === 'development'),
    webhookTimeoutMs: duration(env, 'WEBHOOK_TIMEOUT', '10s'),
    webhookPollIntervalMs: duration(env, 'WEBHOOK_POLL_INTERVAL', '1000ms'),
    settlementPollIntervalMs: duration(env, 'SETTLEMENT_POLL_INTERVAL', '2s'),
    settlementRetryMs: duration(env, 'SETTLEMENT_RETRY', '1m'),
    sellDepositWindowMs: duration(env, 'SELL_DEPOSIT_WINDOW', '6h'),
    webhookRetentionMs: duration(env, 'WEBHOOK_RETENTION', '30d'),
    webhookDisableAfterMs: duration(env, 'WEBHOOK_DISABLE_AFTER', '5d'),
    wsPingIntervalMs: duration(env, 'WS_PING_INTERVAL', '30s'),
    wsMaxConnectionsPerToken: integer(env, 'WS_MAX_CONNECTIONS_PER_TOKEN', 100),
    wsProcess: choice(env, 'WS_PROCESS', ['separate', 'inline'], env.DATABASE_URL ? 'separate' : 'inline'),
    sandboxTools: flag(env, 'SANDBOX_TOOLS', mode === 'development'),
  };
  const { cacheTtlMs, maxAgeMs } = config.rates;
  if (cacheTtlMs !== undefined && maxAgeMs !== undefined && maxAgeMs < cacheTtlMs) {
    throw new Error('RATES_MAX_AGE must not be shorter than RATES_CACHE_TTL');
  }
  if (config.metricsPort !== undefined) {
    if (config.metricsPort < 1 || config.metricsPort > 65535) throw new Error('METRICS_PORT must be from 1 to 65535');
    if (config.metricsPort === config.port)
      throw new Error('METRICS_PORT must differ from PORT (unset it to serve /metrics on PORT behind the admin token)');
  }
  if (!ipaddr.isValid(config.metricsHost) && !/^[a-z0-9.-]+$/i.test(config.metricsHost)) {
    throw new Error(`METRICS_HOST must be an address or a host name, got "${config.metricsHost}"`);
  }
  if (config.wsProcess === 'separate' && !config.databaseUrl) {
    throw new Error(
      'WS_PROCESS=separate needs DATABASE_URL: the embedded database is held by one process, so WebSockets are served inline',
    );
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) throw new Error('HEADERS_TIMEOUT must not exceed REQUEST_TIMEOUT');
  if (config.paymentMaxAttempts < 1 || config.paymentMaxAttempts > 20) throw new Error('PAYMENT_MAX_ATTEMPTS must be from 1 to 20');
  if (config.kycMaxUploadBytes < 1) throw new Error('KYC_MAX_UPLOAD_BYTES must be at least 1');
  if (config.statusChangeConcurrency < 1) throw new Error('STATUS_CHANGE_CONCURRENCY must be at least 1');
  if (config.settlementPollIntervalMs < 10) throw new Error('SETTLEMENT_POLL_INTERVAL must be at least 10ms');
  if (config.settlementRetryMs < 1000) throw new Error('SETTLEMENT_RETRY must be at least 1s');
  if (config.depositAddressProvider === 'hd' && !Object.values(config.depositXpubs).some(Boolean)) {
    throw new Error(
      'DEPOSIT_ADDRESS_PROVIDER=hd needs DEPOSIT_XPUB (or DEPOSIT_XPUB_EVM, DEPOSIT_XPUB_TRON, DEPOSIT_XPUB_BITCOIN): the extended public key to derive deposit addresses from',
    );
  }
  if (config.adminToken !== undefined) assertStrongAdminToken(config.adminToken);
  if (mode === 'production') assertProductionSafe(config);
  return config;
}

function assertProductionSafe(config: Config): void {
  const missing = (['databaseUrl', 'adminToken', 'signingSecret', 'encryptionKey'] as const).filter((key) => !config[key]);
  if (missing.length > 0) {
    const names = {
      databaseUrl: 'DATABASE_URL',
      adminToken: 'ADMIN_TOKEN',
      signingSecret: 'SIGNING_SECRET',
      encryptionKey: 'ENCRYPTION_KEY',
    };
    throw new Error(`production mode needs ${missing.map((key) => names[key]).join(', ')}`);
  }
  if (config.sandboxTools) throw new Error('production mode refuses SANDBOX_TOOLS');
  if (config.trustProxy === true) {
    throw new Error(
      'production mode refuses TRUST_PROXY=true (a client could name its own address): set the number of proxies in front (TRUST_PROXY=1) or their addresses (TRUST_PROXY=10.0.0.0/8)',
    );
  }
  if (config.webhookAllowPrivateTargets) throw new Error('production mode refuses WEBHOOK_ALLOW_PRIVATE_TARGETS');
  if (config.rateProvider === 'sandbox') {
    throw new Error('production mode refuses the sandbox rate provider: set RATE_PROVIDER=kraken');
  }
  if (config.depositAddressProvider === 'sandbox') {
    throw new Error('production mode refuses DEPOSIT_ADDRESS_PROVIDER=sandbox: nobody holds the keys of its addresses');
  }
  if (config.payoutProvider === 'sandbox') {
    throw new Error('production mode refuses PAYOUT_PROVIDER=sandbox: it pays nothing out and lets test cards through');
  }
  if (config.paymentProvider === 'sandbox') {
    throw new Error('production mode refuses PAYMENT_PROVIDER=sandbox: it takes no money and lets test cards through');
  }
  if (config.kycProvider === 'sandbox') {
    throw new Error('production mode refuses KYC_PROVIDER=sandbox: it verifies anyone whose name is not a test value');
  }
  assertChainsProductionSafe(config.chains);
}

/**
 * The admin token opens the whole /admin API, so a guessable one is refused in every mode: development
 * generates a strong one when ADMIN_TOKEN is unset, so only a deliberately weak value is turned away.
 * Blanks are refused too: the Authorization header carries the token as one word, so it could never match.
 */
function assertStrongAdminToken(token: string): void {
  if (token.length < 32 || /[\s\p{Cc}]/u.test(token) || new Set(token).size < 10) {
    throw new Error(
      'ADMIN_TOKEN must be at least 32 characters without spaces, with at least 10 different ones (e.g. openssl rand -base64 32)',
    );
  }
}

function trustProxy(text: string | undefined): Config['trustProxy'] {
  if (text === undefined || text === '' || ['0', 'false', 'no'].includes(text)) return false;
  if (['true', 'yes'].includes(text)) return true;
  if (/^[1-9]\d?$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const valid =
      ipaddr.isValid(address ?? '') &&
      (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (ipaddr.parse(address!).kind() === 'ipv4' ? 32 : 128)));
    if (!valid) {
      throw new Error(
        `TRUST_PROXY must be false, a number of proxies (1–99), or a comma-separated list of proxy addresses or CIDRs; "${entry}" is none of these`,
      );
    }
  }
  return entries;
}

function choice<const T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  return text as T;
}

function url(env: Env, name: string): string | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) throw new Error(`${name} must be an http(s) URL, got "${text}"`);
  return text;
}

/** A redis:// or rediss:// URL; the refusal never repeats the value, which may hold a password. */
function redisUrl(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (!URL.canParse(text) || !/^rediss?:$/.test(new URL(text).protocol) || new URL(text).hostname === '') {
    throw new Error('REDIS_URL must be a redis:// or rediss:// URL with a host (e.g. redis://:password@redis.internal:6379/0)');
  }
  return text;
}

function networkFees(json: string): NetworkFeeTable {
  try {
    return parseNetworkFees(json);
  } catch (error) {
    throw new Error(`NETWORK_FEES: ${(error as Error).message}`);
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

function optionalDuration(env: Env, name: string): number | undefined {
  return env[name] ? duration(env, name, '') : undefined;
}

function duration(env: Env, name: string, fallback: string): number {
  try {
    return parseDuration(env[name] || fallback);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
}
