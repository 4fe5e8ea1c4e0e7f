import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/** The test server's pool (one session on the embedded database, which the first hold takes). */
const POOL_SIZE = 10;

/**
 * Liveness and readiness while the database is busy: load balancers and orchestrators ask them
 * every few seconds, and a slow answer takes a healthy node out of service.
 */
describe('/healthz and /readyz while the database is busy', () => {
  const server = useServerWithPartner();

  /** Takes every database connection until `release()`, as a burst of long transactions would. */
  function occupyDatabase() {
    const gate = Promise.withResolvers<void>();
    const holds = Array.from({ length: POOL_SIZE }, () =>
      server.platform.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await gate.promise;
      }),
    );
    return {
      async release() {
        gate.resolve();
        await Promise.all(holds);
      },
    };
  }

  async function timedGet(path: string): Promise<{ status: number | 'no answer'; ms: number }> {
    const started = performance.now();
    try {
      const answer = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(5_000) });
      await answer.arrayBuffer();
      return { status: answer.status, ms: performance.now() - started };
    } catch {
      return { status: 'no answer', ms: performance.now() - started };
    }
  }

  it('answer at once when the database answered moments ago, though every connection is taken', async () => {
    await sql`select 1`.execute(server.platform.db);
    const busy = occupyDatabase();
    try {
      for (const path of ['/healthz', '/readyz']) {
        const answer = await timedGet(path);
        expect(answer.status, path).toBe(200);
        expect(answer.ms, path).toBeLessThan(500);
      }
    } finally {
      await busy.release();
    }
  });

  it('/readyz says 503 within seconds when the database has stopped answering; /healthz still answers', async () => {
    const busy = occupyDatabase();
    try {
      // Past the 2 s in which a recent answer counts, the probe waits 2 s more and gives up.
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const ready = await timedGet('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.ms).toBeGreaterThanOrEqual(1_900);
      expect(ready.ms).toBeLessThan(3_500);
      expect((await timedGet('/healthz')).status).toBe(200);
    } finally {
      await busy.release();
    }
    expect((await timedGet('/readyz')).status).toBe(200);
  });
});
