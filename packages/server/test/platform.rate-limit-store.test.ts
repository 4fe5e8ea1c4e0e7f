import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { limitKey, MemoryRateLimitStore, PostgresRateLimitStore, type RateLimitStore } from '../src/modules/limits/rate-limit-store.ts';
import { testDatabase } from './helpers/test-platform.ts';

/**
 * Both rate-limit stores answer alike: the table's SQL restates fixed-window.ts's rules (a window from
 * the first hit, a new one from its end on, the rationed turn once a second) and counts concurrent
 * hits exactly. The table store runs here on the embedded database too (its SQL is plain PostgreSQL),
 * though the platform only uses it on PostgreSQL.
 */

const T0 = Date.parse('2026-11-21T12:00:00Z');
const MINUTE = 60_000;

let database: Database;
let drop: () => Promise<void> = async () => {};

beforeAll(async () => {
  const test = await testDatabase();
  drop = test.drop;
  database = await openDatabase(test.options);
  await migrateToLatest(database.db);
}, 60_000);

afterAll(async () => {
  await database?.close();
  await drop();
});

const purgeErrors: unknown[] = [];
const stores: Array<[string, () => RateLimitStore]> = [
  ['memory', () => new MemoryRateLimitStore()],
  ['table', () => new PostgresRateLimitStore({ db: database.db, onPurgeError: (error) => purgeErrors.push(error) })],
];

describe.each(stores)('the %s store', (name, make) => {
  const key = (label: string) => limitKey(`test-${name}`, label);

  it('counts hits in a window from the first hit, and starts again at 1 from its end on', async () => {
    const store = make();
    const k = key('window');
    expect(await store.hit(k, { now: T0, windowMs: MINUTE })).toEqual({ count: 1, endsAt: T0 + MINUTE, rationedAt: null });
    expect((await store.hit(k, { now: T0 + 30_000, windowMs: MINUTE })).count).toBe(2);
    expect(await store.hit(k, { now: T0 + MINUTE - 1, windowMs: MINUTE })).toEqual({ count: 3, endsAt: T0 + MINUTE, rationedAt: null });
    expect(await store.hit(k, { now: T0 + MINUTE, windowMs: MINUTE })).toEqual({ count: 1, endsAt: T0 + 2 * MINUTE, rationedAt: null });
    // Keys are counted apart.
    expect((await store.hit(key('other'), { now: T0 + MINUTE, windowMs: MINUTE })).count).toBe(1);
  });

  it('stamps the rationed turn from rationFrom on, and grants one turn per interval', async () => {
    const store = make();
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
    const store = make();
    const k = key('concurrent');
    const states = await Promise.all(Array.from({ length: 40 }, () => store.hit(k, { now: T0, windowMs: MINUTE })));
    expect(states.map((state) => state.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe('the table store’s rows', () => {
  it('keeps only hashes, and deletes ended windows as it goes', async () => {
    const store = new PostgresRateLimitStore({ db: database.db, onPurgeError: (error) => purgeErrors.push(error) });
    const ended = limitKey('purge', '203.0.113.7');
    await store.hit(ended, { now: T0 - 10 * MINUTE, windowMs: MINUTE });
    const { rows } = await sql<{ key: string }>`select key from rate_limit_windows`.execute(database.db);
    for (const row of rows) expect(row.key).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.map((row) => row.key)).toContain(ended);
    // A hit twenty minutes of the clock later purges (in the background) what ended before it.
    await store.hit(limitKey('purge', 'later'), { now: T0 + 10 * MINUTE, windowMs: MINUTE });
    await expect
      .poll(async () => (await sql<{ key: string }>`select key from rate_limit_windows where key = ${ended}`.execute(database.db)).rows)
      .toEqual([]);
    expect(purgeErrors).toEqual([]);
  });
});
