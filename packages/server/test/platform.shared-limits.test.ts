import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/lib/crypto.ts';
import { type CreatedPartner, childDatabase, createPartner, type ProofChild, startProofServe } from './helpers/proof-child.ts';
import { ADMIN_TOKEN, expectError, request } from './helpers/test-platform.ts';

/**
 * The limits of a deployment, not of a process: two `proof serve` nodes on one PostgreSQL schema
 * count the per-token rate limit and the failed-authentication throttle in the same rows (or, with
 * REDIS_URL, in the same Redis keys), so a client spreading its requests over both nodes meets the
 * configured total (not twice it), and guessing tokens on one node is throttled on the other. The
 * embedded database is one process by construction (it counts in memory), so this only runs on
 * PostgreSQL; the Redis run also needs TEST_REDIS_URL, and takes a key prefix of its own.
 */

const LIMIT = 10;
const REDIS_URL = process.env.TEST_REDIS_URL;
const onPostgres = process.env.PROOF_TEST_DB === 'postgres';

/** Where the two nodes count: [name, settings for both nodes, whether to skip]. */
const stores: Array<[string, Record<string, string>, boolean]> = [
  ['the PostgreSQL table', {}, !onPostgres],
  ['Redis', { REDIS_URL: REDIS_URL ?? '', REDIS_KEY_PREFIX: `proof-test:${randomBytes(6).toString('hex')}:` }, !onPostgres || !REDIS_URL],
];

describe.each(stores)('limits shared by two nodes on one PostgreSQL, counted in %s', (_store, storeEnv, skip) => {
  if (skip) {
    it.skip(onPostgres ? 'needs TEST_REDIS_URL' : 'needs PostgreSQL (TEST_DATABASE_URL)');
    return;
  }
  const dataDirs: string[] = [];
  let env: Record<string, string>;
  let dropDatabase: () => Promise<void> = async () => {};
  let nodes: ProofChild[] = [];
  let a: ProofChild;
  let b: ProofChild;
  let partner: CreatedPartner;

  beforeAll(async () => {
    const database = await childDatabase();
    dropDatabase = database.drop;
    env = { ...database.env, ...storeEnv, LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: String(LIMIT) };
    const started = await Promise.allSettled(
      [0, 1].map(() => {
        const dataDir = mkdtempSync(join(tmpdir(), 'proof-limits-'));
        dataDirs.push(dataDir);
        return startProofServe({ ...env, DATA_DIR: dataDir });
      }),
    );
    nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    [a, b] = nodes as [ProofChild, ProofChild];
    partner = await createPartner(a.url, 'https://partner.example/hooks');
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    await dropDatabase();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('counts one token’s requests on both nodes against one RATE_LIMIT_PER_MINUTE', async () => {
    const read = (node: ProofChild) => request(`${node.url}/widget/transactions/no-such-transaction`, { token: partner.client_token });
    for (let i = 1; i <= LIMIT; i++) {
      const answer = await read(i % 2 === 0 ? a : b);
      expect(answer.status, JSON.stringify(answer.body)).toBe(404);
      // The remaining allowance falls by one per request, whichever node answered.
      expect(answer.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
      expect(answer.headers.get('x-ratelimit-remaining')).toBe(String(LIMIT - i));
    }
    for (const node of [a, b, a, b]) {
      const limited = expectError(await read(node), 429, 'rate_limited', 'rate_limit_exceeded');
      expect(limited.message).toContain(`at most ${LIMIT} a minute per token`);
      const answer = await read(node);
      const retryAfter = Number(answer.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
  });

  it('lets many concurrent requests over both nodes through exactly up to the limit', async () => {
    const other = await createPartner(b.url, 'https://other.example/hooks');
    const answers = await Promise.all(
      Array.from({ length: 3 * LIMIT }, (_, i) =>
        request(`${(i % 2 === 0 ? a : b).url}/widget/transactions/no-such-transaction`, { token: other.client_token }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 404)).toHaveLength(LIMIT);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(2 * LIMIT);
  });

  it('throttles on node B an address that failed 30 authentications on node A', async () => {
    const guess = (node: ProofChild, i: number) => request(`${node.url}/widget/transactions/x`, { token: `ct_guess_${i}` });
    for (let i = 0; i < 30; i++) expectError(await guess(a, i), 401, 'unauthorised', 'invalid_token');
    // Node B had seen no failure: it looks this one up (the one rationed lookup of the second), then refuses unread.
    expectError(await guess(b, 30), 401, 'unauthorised', 'invalid_token');
    const lookedUpAt = Date.now();
    const throttled = expectError(await guess(b, 31), 429, 'rate_limited', 'rate_limit_exceeded');
    expect(throttled.message).toContain('failed authentications');
    // The rationed lookup is one a second for the whole deployment: node B just used it, so node A refuses too.
    const onA = await guess(a, 32);
    if (Date.now() - lookedUpAt < 900) expectError(onA, 429, 'rate_limited', 'rate_limit_exceeded');
    // Wrong admin tokens meet the same throttle, on either node.
    const adminGuess = await request(`${b.url}/admin/partners`, { token: 'adm_guess_0123456789abcdefghijklmnop' });
    if (Date.now() - lookedUpAt < 900) expectError(adminGuess, 429, 'rate_limited', 'rate_limit_exceeded');
    // The admin token, which authenticated on node A before the guessing, still passes there.
    expect((await request(`${a.url}/admin/partners`, { token: ADMIN_TOKEN })).status).toBe(200);
  });

  it('stores hashes only: no token or address appears in the shared counts', async () => {
    const table = await tableCounts(env.DATABASE_URL!);
    // With REDIS_URL the table stays empty: the counts live in Redis alone.
    if (storeEnv.REDIS_URL) expect(table).toEqual([]);
    const rows = storeEnv.REDIS_URL ? await redisCounts(storeEnv) : table;
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) expect(row.key).toMatch(/^[0-9a-f]{64}$/);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(partner.client_token);
    expect(text).not.toContain('127.0.0.1');
    // Keyed hashes: hashing the address the guesses came from does not find its window.
    const keys = rows.map((row) => row.key);
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1']) expect(keys).not.toContain(sha256Hex(`auth:${address}`));
  });
});

/** The windows in the rate_limit_windows table. */
async function tableCounts(databaseUrl: string): Promise<Array<{ key: string; count: number }>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<{ key: string; count: number }>('select key, count from rate_limit_windows')).rows;
  } finally {
    await client.end();
  }
}

/** The windows the nodes keep in Redis (under REDIS_KEY_PREFIX, then `limit:`), keys without their prefix. */
async function redisCounts(storeEnv: Record<string, string>): Promise<Array<{ key: string; count: number }>> {
  const prefix = `${storeEnv.REDIS_KEY_PREFIX!}limit:`;
  const redis = new Redis(storeEnv.REDIS_URL!);
  try {
    const keys = await redis.keys(`${prefix}*`);
    return Promise.all(keys.map(async (key) => ({ key: key.slice(prefix.length), count: Number(await redis.hget(key, 'count')) })));
  } finally {
    await redis.quit();
  }
}
