import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { sha256Hex } from '../src/lib/crypto.ts';
import { limitKey, MemoryRateLimitStore, PostgresRateLimitStore, type RateLimitStore } from '../src/modules/limits/rate-limit-store.ts';
import { RedisRateLimitStore } from '../src/modules/limits/redis-rate-limit-store.ts';
import { logCollector } from './helpers/log-collector.ts';
import { testDatabase } from './helpers/test-platform.ts';

/**
 * Every rate-limit store answers alike: the table's SQL and the Redis scripts restate fixed-window.ts's
 * rules (a window from the first hit, a new one from its end on, the rationed turn once a second) and
 * count concurrent hits exactly. The table store runs here on the embedded database too (its SQL is
 * plain PostgreSQL), though the platform only uses it on PostgreSQL. The Redis store runs when
 * TEST_REDIS_URL is set, under a key prefix of its own per run.
 */

const T0 = Date.parse('2026-11-21T12:00:00Z');
const MINUTE = 60_000;
const KEY_SECRET = Buffer.alloc(32, 7);

let database: Database;
let drop: () => Promise<void> = async () => {};

beforeAll(async () => {
  const test = await testDatabase();
  drop = test.drop;
  database = await openDatabase(test.options);
  await migrateToLatest(database.db);
}, 60_000);

const REDIS_URL = process.env.TEST_REDIS_URL;
const redisPrefix = `proof-test:${randomBytes(6).toString('hex')}:`;
let redisStore: RedisRateLimitStore | undefined;

afterAll(async () => {
  await redisStore?.close();
  await database?.close();
  await drop();
});

/** One client for the whole file (the cases tell their keys apart), connected before the first case. */
async function theRedisStore(): Promise<RedisRateLimitStore> {
  if (redisStore === undefined) {
    redisStore = new RedisRateLimitStore({ url: REDIS_URL!, keyPrefix: redisPrefix, logger: pino({ level: 'silent' }) });
    expect(await redisStore.ready(10_000)).toBe(true);
  }
  return redisStore;
}

const purgeErrors: unknown[] = [];
const stores: Array<[string, () => RateLimitStore]> = [
  ['memory', () => new MemoryRateLimitStore()],
  ['table', () => new PostgresRateLimitStore({ db: database.db, onPurgeError: (error) => purgeErrors.push(error) })],
];

describe.each(stores)('the %s store', (name, make) => sameAnswers(name, make));

describe.skipIf(!REDIS_URL)('the redis store', () => sameAnswers('redis', theRedisStore));

/** What every store must answer, given a way to make (or reach) one. */
function sameAnswers(name: string, make: () => RateLimitStore | Promise<RateLimitStore>): void {
  const key = (label: string) => limitKey(KEY_SECRET, `test-${name}`, label);

  it('counts hits in a window from the first hit, and starts again at 1 from its end on', async () => {
    const store = await make();
    const k = key('window');
    expect(await store.hit(k, { now: T0, windowMs: MINUTE })).toEqual({ count: 1, endsAt: T0 + MINUTE, rationedAt: null });
    expect((await store.hit(k, { now: T0 + 30_000, windowMs: MINUTE })).count).toBe(2);
    expect(await store.hit(k, { now: T0 + MINUTE - 1, windowMs: MINUTE })).toEqual({ count: 3, endsAt: T0 + MINUTE, rationedAt: null });
    expect(await store.hit(k, { now: T0 + MINUTE, windowMs: MINUTE })).toEqual({ count: 1, endsAt: T0 + 2 * MINUTE, rationedAt: null });
    // Keys are counted apart.
    expect((await store.hit(key('other'), { now: T0 + MINUTE, windowMs: MINUTE })).count).toBe(1);
  });

  it('stamps the rationed turn from rationFrom on, and grants one turn per interval', async () => {
    const store = await make();
    const k = key('turns');
    expect(await store.takeTurn(k, { now: T0, intervalMs: 1_000 })).toEqual({ granted: true, state: undefined });
    await store.hit(k, { now: T0, windowMs: MINUTE, rationFrom: 2 });
    await store.hit(k, { now: T0 + 1, windowMs: MINUTE, rationFrom: 2 });
    expect(await store.takeTurn(k, { now: T0 + 2, intervalMs: 1_000 })).toEqual({
      granted: true,
      state: { count: 2, endsAt: T0 + MINUTE, rationedAt: T0 + 2 },
    });
    expect(await store.hit(k, { now: T0 + 10, windowMs: MINUTE, rationFrom: 2 })).toEqual({
      count: 3,
      endsAt: T0 + MINUTE,
      rationedAt: T0 + 10,
    });
    expect(await store.takeTurn(k, { now: T0 + 1_009, intervalMs: 1_000 })).toEqual({
      granted: false,
      state: { count: 3, endsAt: T0 + MINUTE, rationedAt: T0 + 10 },
    });
    expect((await store.takeTurn(k, { now: T0 + 1_010, intervalMs: 1_000 })).granted).toBe(true);
    expect(await store.takeTurn(k, { now: T0 + MINUTE, intervalMs: 1_000 })).toEqual({ granted: true, state: undefined });
  });

  it('counts concurrent hits exactly', async () => {
    const store = await make();
    const k = key('concurrent');
    const states = await Promise.all(Array.from({ length: 40 }, () => store.hit(k, { now: T0, windowMs: MINUTE })));
    expect(states.map((state) => state.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
}

describe('stored keys', () => {
  it('are HMACs of scope and value under the deployment’s key: the same on every node, unknown without it', () => {
    const key = limitKey(KEY_SECRET, 'auth', '203.0.113.7');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(limitKey(Buffer.from(KEY_SECRET), 'auth', '203.0.113.7')).toBe(key);
    expect(limitKey(Buffer.alloc(32, 8), 'auth', '203.0.113.7')).not.toBe(key);
    expect(limitKey(KEY_SECRET, 'widget', '203.0.113.7')).not.toBe(key);
    expect(key).not.toBe(sha256Hex('auth:203.0.113.7'));
  });
});

describe('the table store’s rows', () => {
  it('keeps only hashes, and deletes ended windows as it goes', async () => {
    const store = new PostgresRateLimitStore({ db: database.db, onPurgeError: (error) => purgeErrors.push(error) });
    const ended = limitKey(KEY_SECRET, 'purge', '203.0.113.7');
    await store.hit(ended, { now: T0 - 10 * MINUTE, windowMs: MINUTE });
    const { rows } = await sql<{ key: string }>`select key from rate_limit_windows`.execute(database.db);
    for (const row of rows) expect(row.key).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.map((row) => row.key)).toContain(ended);
    // A hit twenty minutes of the clock later purges (in the background) what ended before it.
    await store.hit(limitKey(KEY_SECRET, 'purge', 'later'), { now: T0 + 10 * MINUTE, windowMs: MINUTE });
    await expect
      .poll(async () => (await sql<{ key: string }>`select key from rate_limit_windows where key = ${ended}`.execute(database.db)).rows)
      .toEqual([]);
    expect(purgeErrors).toEqual([]);
  });

  it('relaxes the commit of its own statements only: the connection keeps the database’s setting', async () => {
    await database.db.connection().execute(async (connection) => {
      const setting = async () =>
        (await sql<{ value: string }>`select current_setting('synchronous_commit') as value`.execute(connection)).rows[0]!.value;
      const before = await setting();
      const store = new PostgresRateLimitStore({ db: connection, onPurgeError: (error) => purgeErrors.push(error) });
      const k = limitKey(KEY_SECRET, 'relaxed', 'one');
      for (let i = 0; i < 3; i++) await store.hit(k, { now: T0, windowMs: MINUTE, rationFrom: 2 });
      expect(await setting()).toBe(before);
      expect((await store.takeTurn(k, { now: T0 + 1_000, intervalMs: 1_000 })).granted).toBe(true);
      expect(await setting()).toBe(before);
      // Inside a transaction the same statement relaxes it for that transaction alone, as set_config says:
      // proof that the statement does set it (the store never runs inside a caller's transaction).
      await connection.transaction().execute(async (trx) => {
        await new PostgresRateLimitStore({ db: trx, onPurgeError: () => {} }).hit(k, { now: T0, windowMs: MINUTE });
        expect((await sql<{ value: string }>`select current_setting('synchronous_commit') as value`.execute(trx)).rows[0]!.value).toBe(
          'off',
        );
      });
      expect(await setting()).toBe(before);
    });
  });
});

describe.skipIf(!REDIS_URL)('the redis store’s keys', () => {
  it('are hashes under the prefix, each expiring when its window ends on the caller’s clock', async () => {
    const store = await theRedisStore();
    const k = limitKey(KEY_SECRET, 'expiry', '203.0.113.7');
    await store.hit(k, { now: T0, windowMs: MINUTE });
    await store.hit(k, { now: T0 + 45_000, windowMs: MINUTE });
    const redis = new Redis(REDIS_URL!);
    try {
      const keys = await redis.keys(`${redisPrefix}*`);
      expect(keys).toContain(redisPrefix + k);
      for (const stored of keys) expect(stored.slice(redisPrefix.length)).toMatch(/^[0-9a-f]{64}$/);
      expect(await redis.hgetall(redisPrefix + k)).toEqual({ count: '2', ends_at: String(T0 + MINUTE) });
      // 15 s of the window were left at the last hit (T0 is long past on Redis's own clock).
      const ttl = await redis.pttl(redisPrefix + k);
      expect(ttl).toBeGreaterThan(10_000);
      expect(ttl).toBeLessThanOrEqual(15_000);
    } finally {
      await redis.quit();
    }
  });
});

describe('a redis store whose server does not answer', () => {
  it('refuses at once (the caller lets the request through) and logs where, never the password', async () => {
    const { lines, logger } = logCollector();
    const store = new RedisRateLimitStore({ url: 'redis://:s3cret-pw@127.0.0.1:1/0', logger });
    try {
      expect(await store.ready(300)).toBe(false);
      const started = Date.now();
      await expect(store.hit(limitKey(KEY_SECRET, 'down', 'x'), { now: T0, windowMs: MINUTE })).rejects.toThrow();
      await expect(store.takeTurn(limitKey(KEY_SECRET, 'down', 'x'), { now: T0, intervalMs: 1_000 })).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(500);
      await expect.poll(() => lines.length).toBeGreaterThan(0);
      expect(lines[0]).toMatchObject({ redis: '127.0.0.1:1', msg: expect.stringContaining('Redis does not answer') });
      expect(JSON.stringify(lines)).not.toContain('s3cret-pw');
    } finally {
      await store.close();
    }
  });
});
