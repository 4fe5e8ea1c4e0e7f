import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { countHit, takeTurn, type WindowState } from './fixed-window.ts';

/**
 * Where rate-limit windows are counted (fixed windows, fixed-window.ts). Keys arrive hashed
 * (limitKey): no store ever holds a token, credential or address in clear.
 *
 * Three stores: memory, for the embedded database (one process by construction: see the embedded lock);
 * PostgreSQL, where every node of a deployment counts in the same rows, each hit one atomic upsert; and
 * Redis when REDIS_URL is set (redis-rate-limit-store.ts), each operation one script. Which one a node
 * uses: rate-limit-store-for.ts.
 */
export interface RateLimitStore {
  /**
   * Counts one hit of `key` at `now` in its window of `windowMs` and answers the window afterwards,
   * atomically across nodes. `rationFrom`: see countHit.
   * @example const { count, endsAt } = await store.hit(key, { now: Date.now(), windowMs: 60_000 });
   */
  hit(key: string, options: { now: number; windowMs: number; rationFrom?: number }): Promise<WindowState>;
  /**
   * Takes the rationed turn of the moment for `key` (one per `intervalMs` across all nodes) and answers
   * whether it was granted and the window afterwards (undefined when none is live).
   * @example if ((await store.takeTurn(key, { now: Date.now(), intervalMs: 1_000 })).granted) lookUp();
   */
  takeTurn(key: string, options: { now: number; intervalMs: number }): Promise<{ granted: boolean; state: WindowState | undefined }>;
  /** Lets go of what the store holds of its own (Redis's connection); the database's pool is the platform's to close. */
  close(): Promise<void>;
}

/**
 * The stored key for `value` (a token hash, a credential's transaction, an address) limited in `scope`:
 * an HMAC-SHA256 under `secret` (derived from the signing secret, so every node computes the same
 * key), never the value. Keyed, so that a stored key cannot be traced back by trying every value:
 * there are only 2^32 IPv4 addresses.
 */
export function limitKey(secret: Buffer, scope: string, value: string): string {
  let key = keyObjects.get(secret);
  if (key === undefined) keyObjects.set(secret, (key = createSecretKey(secret)));
  return createHmac('sha256', key).update(`${scope}:${value}`).digest('hex');
}

/**
 * A key object per secret, made once: handing HMAC the raw bytes makes one on every call, which costs
 * several times the HMAC itself, and limitKey runs on every rate-limited request.
 */
const keyObjects = new WeakMap<Buffer, KeyObject>();

/** Memory grows with the keys of one window; past this many it forgets all (a flood of addresses) rather than grow. */
const MEMORY_MAX_KEYS = 100_000;

/** One process's windows: for the embedded database, which never has a second node. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, WindowState>();

  async hit(key: string, options: { now: number; windowMs: number; rationFrom?: number }): Promise<WindowState> {
    const current = this.windows.get(key);
    if (current === undefined && this.windows.size >= MEMORY_MAX_KEYS) this.windows.clear();
    const next = countHit(current, options.now, options.windowMs, options.rationFrom);
    this.windows.set(key, next);
    return next;
  }

  async takeTurn(key: string, options: { now: number; intervalMs: number }): Promise<{ granted: boolean; state: WindowState | undefined }> {
    const turn = takeTurn(this.windows.get(key), options.now, options.intervalMs);
    if (turn.state === undefined) this.windows.delete(key);
    else this.windows.set(key, turn.state);
    return turn;
  }

  async close(): Promise<void> {}
}

/**
 * A CTE (`relaxed`, one row) that turns off `synchronous_commit` for the statement's own transaction
 * (it must be read from, or PostgreSQL never evaluates it): its commit then returns without waiting
 * for the WAL to reach the disk, which was most of a rate-limited request's wait for its count (a hit
 * took 0.63 ms at the median here, 0.26 ms without that wait). A counter needs no more: a crash of
 * the database loses at most the last few hundred milliseconds of hits (three times
 * wal_writer_delay), never a half-written window, and nothing else of the request's work is relaxed
 * (decision 0026).
 */
const RELAXED_COMMIT = sql`relaxed as (select set_config('synchronous_commit', 'off', true))`;

/** How often a node deletes ended windows, after a hit (off the request's path). */
const PURGE_INTERVAL_MS = 60_000;

interface WindowRow {
  count: number;
  ends_at: Date;
  rationed_at: Date | null;
}

/**
 * Windows in the rate_limit_windows table, shared by every node on the database. A hit is one
 * INSERT … ON CONFLICT DO UPDATE … RETURNING (the row lock makes concurrent hits from any node add up
 * exactly); a turn is one UPDATE … WHERE the interval has passed, with a read of the row in the same
 * statement when it has not. Times come from the platform's clock, as in memory, so both stores
 * answer alike (nodes' clocks agree to well under a window). Ended windows are deleted by a node at
 * most once a minute, after a hit, without the request waiting for it.
 */
export class PostgresRateLimitStore implements RateLimitStore {
  private readonly db: Kysely<Tables>;
  private readonly onPurgeError: (error: unknown) => void;
  private lastPurge = 0;

  constructor(options: { db: Kysely<Tables>; onPurgeError: (error: unknown) => void }) {
    this.db = options.db;
    this.onPurgeError = options.onPurgeError;
  }

  async hit(key: string, options: { now: number; windowMs: number; rationFrom?: number }): Promise<WindowState> {
    const now = new Date(options.now);
    const endsAt = new Date(options.now + options.windowMs);
    // Past int4: "never" (the column is an integer).
    const rationFrom = Math.min(options.rationFrom ?? 2_147_483_647, 2_147_483_647);
    // The same rules as countHit; every right-hand side reads the row as it was before this hit.
    const { rows } = await sql<WindowRow>`
      with ${RELAXED_COMMIT}
      insert into rate_limit_windows as w (key, count, ends_at, rationed_at)
      select ${key}, 1, ${endsAt}::timestamptz, null from relaxed
      on conflict (key) do update set
        count = case when w.ends_at <= ${now}::timestamptz then 1 else w.count + 1 end,
        ends_at = case when w.ends_at <= ${now}::timestamptz then excluded.ends_at else w.ends_at end,
        rationed_at = case
          when w.ends_at <= ${now}::timestamptz then null
          when w.count >= ${rationFrom}::integer then ${now}::timestamptz
          else w.rationed_at
        end
      returning count, ends_at, rationed_at`.execute(this.db);
    this.purgeNow(options.now);
    return toState(rows[0]!);
  }

  async takeTurn(key: string, options: { now: number; intervalMs: number }): Promise<{ granted: boolean; state: WindowState | undefined }> {
    const now = new Date(options.now);
    const lastAllowed = new Date(options.now - options.intervalMs);
    // The CTE's read sees the row as it was before the update, which is what a refused turn reports.
    const { rows } = await sql<WindowRow & { granted: boolean }>`
      with ${RELAXED_COMMIT},
      turn as (
        update rate_limit_windows as w set rationed_at = ${now}::timestamptz
        from relaxed
        where w.key = ${key} and w.ends_at > ${now}::timestamptz
          and (w.rationed_at is null or w.rationed_at <= ${lastAllowed}::timestamptz)
        returning w.count, w.ends_at, w.rationed_at
      )
      select true as granted, count, ends_at, rationed_at from turn
      union all
      select false as granted, count, ends_at, rationed_at from rate_limit_windows
      where key = ${key} and ends_at > ${now}::timestamptz and not exists (select 1 from turn)`.execute(this.db);
    const row = rows[0];
    if (row === undefined) return { granted: true, state: undefined };
    return { granted: row.granted, state: toState(row) };
  }

  async close(): Promise<void> {}

  /** Deletes ended windows, at most once a minute per node, without making the caller wait. */
  private purgeNow(now: number): void {
    if (now - this.lastPurge < PURGE_INTERVAL_MS && now >= this.lastPurge) return;
    this.lastPurge = now;
    sql`delete from rate_limit_windows where ends_at <= ${new Date(now)}::timestamptz`.execute(this.db).catch(this.onPurgeError);
  }
}

function toState(row: WindowRow): WindowState {
  return {
    count: Number(row.count),
    endsAt: new Date(row.ends_at).getTime(),
    rationedAt: row.rationed_at === null ? null : new Date(row.rationed_at).getTime(),
  };
}
