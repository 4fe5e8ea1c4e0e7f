import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WindowState } from './fixed-window.ts';
import type { RateLimitStore } from './rate-limit-store.ts';

/**
 * countHit (fixed-window.ts) as one script over a hash per key (count, ends_at, rationed_at). Times are
 * the caller's, in ms; ARGV[3] is rationFrom, -1 for never. The hash expires when its window ends,
 * measured on the caller's clock (PEXPIRE with the time left rather than PEXPIREAT, so a node's clock
 * and Redis's need not agree, and a test or sandbox clock keeps its windows). Answers count, ends_at
 * and rationed_at (-1 for none).
 */
const HIT = `
local now, window, ration_from = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local w = redis.call('HMGET', KEYS[1], 'count', 'ends_at', 'rationed_at')
local count, ends_at, rationed_at = tonumber(w[1] or ''), tonumber(w[2] or ''), tonumber(w[3] or '')
if count == nil or ends_at == nil or ends_at <= now then
  count, ends_at, rationed_at = 1, now + window, nil
  redis.call('DEL', KEYS[1])
else
  if ration_from >= 0 and count >= ration_from then rationed_at = now end
  count = count + 1
end
redis.call('HSET', KEYS[1], 'count', string.format('%d', count), 'ends_at', string.format('%.0f', ends_at))
if rationed_at ~= nil then redis.call('HSET', KEYS[1], 'rationed_at', string.format('%.0f', rationed_at)) end
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.max(1, ends_at - now)))
return {count, ends_at, rationed_at or -1}
`;

/**
 * takeTurn (fixed-window.ts): no live window answers {1} (granted, no state); otherwise granted (1) or
 * not (0) with the window afterwards, as HIT answers it. A granted turn stamps rationed_at and keeps
 * the hash's expiry.
 */
const TURN = `
local now, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
local w = redis.call('HMGET', KEYS[1], 'count', 'ends_at', 'rationed_at')
local count, ends_at, rationed_at = tonumber(w[1] or ''), tonumber(w[2] or ''), tonumber(w[3] or '')
if count == nil or ends_at == nil or ends_at <= now then return {1} end
if rationed_at ~= nil and now - rationed_at < interval then return {0, count, ends_at, rationed_at} end
redis.call('HSET', KEYS[1], 'rationed_at', string.format('%.0f', now))
return {1, count, ends_at, now}
`;

/** The scripts as client commands: ioredis sends EVALSHA, and EVAL when the server does not know the script yet. */
type ScriptedRedis = Redis & {
  limitHit(key: string, now: string, windowMs: string, rationFrom: string): Promise<number[]>;
  limitTurn(key: string, now: string, intervalMs: string): Promise<number[]>;
};

/** How long a node waits for Redis to connect (at start, and on each reconnection). */
const CONNECT_TIMEOUT_MS = 2_000;
/** How long a limited request waits for Redis's answer before it goes through uncounted. */
const COMMAND_TIMEOUT_MS = 1_000;

/**
 * Windows in Redis (REDIS_URL), shared by every node that uses it: each operation is one script, which
 * Redis runs atomically, so concurrent hits from any node add up exactly, in one round trip. Times come
 * from the platform's clock, as in the other stores; ended windows expire by themselves.
 *
 * A Redis that is down or slow never holds a request: commands are not queued while disconnected (they
 * fail at once) and time out after a second; the callers then let the request through uncounted and log
 * it (see shared-rate-limit.ts and failed-auth-throttle.ts). The client reconnects by itself; its
 * connection errors are logged once per outage, never with the URL (it may hold a password).
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: ScriptedRedis;
  private readonly prefix: string;
  private failing = false;

  /** `keyPrefix` goes before every key (`proof:limit:` by default); `logger` hears of connection errors. */
  constructor(options: { url: string; keyPrefix?: string; logger: Logger }) {
    this.prefix = options.keyPrefix ?? 'proof:limit:';
    const { logger } = options;
    this.redis = new Redis(options.url, {
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectionName: 'proof-rate-limits',
      scripts: {
        limitHit: { lua: HIT, numberOfKeys: 1 },
        limitTurn: { lua: TURN, numberOfKeys: 1 },
      },
    }) as ScriptedRedis;
    const where = serverOf(options.url);
    this.redis.on('error', (error: Error) => {
      if (this.failing) return;
      this.failing = true;
      logger.warn({ err: error, redis: where }, 'rate limits: Redis does not answer; limited requests go through uncounted until it does');
    });
    this.redis.on('ready', () => {
      if (!this.failing) return;
      this.failing = false;
      logger.info({ redis: where }, 'rate limits: Redis answers again');
    });
  }

  async hit(key: string, options: { now: number; windowMs: number; rationFrom?: number }): Promise<WindowState> {
    const rationFrom = options.rationFrom === undefined || !Number.isFinite(options.rationFrom) ? -1 : options.rationFrom;
    const reply = await this.redis.limitHit(this.prefix + key, String(options.now), String(options.windowMs), String(rationFrom));
    return toState(reply);
  }

  async takeTurn(key: string, options: { now: number; intervalMs: number }): Promise<{ granted: boolean; state: WindowState | undefined }> {
    const reply = await this.redis.limitTurn(this.prefix + key, String(options.now), String(options.intervalMs));
    if (reply.length === 1) return { granted: true, state: undefined };
    return { granted: reply[0] === 1, state: toState(reply.slice(1)) };
  }

  /** Resolves true once connected, false if not within `timeoutMs` (the store keeps trying, and fails open meanwhile). */
  async ready(timeoutMs = CONNECT_TIMEOUT_MS): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise<boolean>((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ready);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.on('ready', onReady);
    });
  }

  async close(): Promise<void> {
    // QUIT needs a connection; without one there is nothing to say goodbye to, only reconnection to stop.
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function toState(reply: number[]): WindowState {
  const [count, endsAt, rationedAt] = reply.map(Number) as [number, number, number];
  return { count, endsAt, rationedAt: rationedAt < 0 ? null : rationedAt };
}

/** The server's host and port, for the logs: never the URL itself, whose password must not be written anywhere. */
function serverOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '6379'}`;
}
