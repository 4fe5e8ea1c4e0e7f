import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeStatus, changeStatusWithin } from '../src/modules/transactions/change-status.ts';
import { connect, DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { freePort } from './helpers/net.ts';
import { childDatabase, type ProofChild, startProofServe, waitUntil } from './helpers/proof-child.ts';
import { ADMIN_TOKEN, expectError, type HttpResult, request } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';
import { answer } from './helpers/webhook-receiver.ts';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** Every family docs/operations.md lists (the pool's only on PostgreSQL), and two of Node's process metrics. */
const FAMILIES = [
  ['proof_http_request_duration_seconds', 'histogram'],
  ['proof_webhook_queue_depth', 'gauge'],
  ['proof_webhook_queue_oldest_age_seconds', 'gauge'],
  ['proof_webhook_endpoints_disabled', 'gauge'],
  ['proof_webhook_attempts_total', 'counter'],
  ['proof_websocket_connections', 'gauge'],
  ['proof_transaction_status_changes_total', 'counter'],
  ['proof_status_changes_waiting', 'gauge'],
  ['proof_provider_call_duration_seconds', 'histogram'],
  ['proof_process_cpu_user_seconds_total', 'counter'],
  ['proof_nodejs_eventloop_lag_seconds', 'gauge'],
] as const;
const POOL_FAMILIES = ['proof_db_pool_connections', 'proof_db_pool_idle_connections', 'proof_db_pool_waiting_clients'];

/** The value of the sample `name` whose labels include `labels`; 0 when there is none (a counter not yet moved). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/gi)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return 0;
}

describe('metrics on the main port, behind the admin token', () => {
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV, webhookReceiver: true });
  const scrape = async (): Promise<string> => {
    const result = await request(`${server.url}/metrics`, { token: ADMIN_TOKEN });
    expect(result.status).toBe(200);
    return result.body;
  };

  it('refuses a scrape without the admin token, or with a wrong one, in the documented shape', async () => {
    expectError(await request(`${server.url}/metrics`), 401, 'unauthorised', 'missing_token');
    expectError(await request(`${server.url}/metrics`, { token: 'not-the-admin-token' }), 401, 'unauthorised', 'invalid_token');
    expectError(await request(`${server.url}/metrics`, { token: server.partner.client_token }), 401, 'unauthorised', 'invalid_token');
  });

  it('serves every family in the Prometheus text format with the admin token', async () => {
    const result = await request(`${server.url}/metrics`, { token: ADMIN_TOKEN });
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe(PROMETHEUS_TEXT);
    expect(result.headers.get('cache-control')).toBe('no-store');
    for (const [name, type] of FAMILIES) expect(result.body).toContain(`# TYPE ${name} ${type}\n`);
    for (const name of POOL_FAMILIES) {
      if (server.platform.dbKind === 'postgres') expect(result.body).toContain(`# TYPE ${name} gauge\n`);
      else expect(result.body).not.toContain(name);
    }
    if (server.platform.dbKind === 'postgres') expect(sample(result.body, 'proof_db_pool_connections')).toBeGreaterThan(0);
  });

  it('counts a request under its route pattern, never its URL', async () => {
    const id = await server.newSession();
    const labels = { method: 'GET', route: '/widget/transactions/:merchant_transaction_id', status_code: '200' };
    const before = sample(await scrape(), 'proof_http_request_duration_seconds_count', labels);
    expect((await server.getTransaction(id)).status).toBe(200);
    const after = await scrape();
    expect(sample(after, 'proof_http_request_duration_seconds_count', labels)).toBe(before + 1);
    expect(after).not.toContain(id);
    // A path no route serves shares one series, whatever the path.
    expect((await server.request('/no/such/path/123')).status).toBe(404);
    expect(sample(await scrape(), 'proof_http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' })).toBe(1);
  });

  it('times provider calls: the quote a session is priced at', async () => {
    const labels = { kind: 'rates', operation: 'quote', outcome: 'ok' };
    const before = sample(await scrape(), 'proof_provider_call_duration_seconds_count', labels);
    await server.newSession();
    expect(sample(await scrape(), 'proof_provider_call_duration_seconds_count', labels)).toBeGreaterThan(before);
  });

  it('counts a status change once it has committed, never one rolled back', async () => {
    const id = await server.newSession();
    const changed = { type: 'buy', status: 'processing', reason: 'none' };
    const before = sample(await scrape(), 'proof_transaction_status_changes_total', changed);
    const who = { partnerId: server.partner.partner_id, merchantTransactionId: id, to: 'processing' as const };
    await expect(
      server.platform.db.transaction().execute(async (trx) => {
        await changeStatusWithin(server.platform, trx, who);
        throw new Error('rolled back after the change was recorded');
      }),
    ).rejects.toThrow('rolled back');
    expect(sample(await scrape(), 'proof_transaction_status_changes_total', changed)).toBe(before);
    await changeStatus(server.platform, who);
    expect(sample(await scrape(), 'proof_transaction_status_changes_total', changed)).toBe(before + 1);
  });

  it('moves with a status change, the webhook queue, failed and delivered attempts', async () => {
    const { receiver } = server;
    server.clock.set(new Date()); // receivers check webhook-timestamp against their own clock
    await server.background!.webhooks.drain();
    const id = await server.newSession();
    const changed = { type: 'buy', status: 'processing', reason: 'none' };
    const changesBefore = sample(await scrape(), 'proof_transaction_status_changes_total', changed);
    const start = await scrape();

    // The receiver fails: the message stays in the queue, waiting for its retry.
    receiver.respond = answer(500);
    expect((await server.sandboxMove(id, 'processing')).status).toBe(200);
    await server.background!.webhooks.drain();
    expect(receiver.forTransaction(id)).toHaveLength(1);
    server.clock.advance(3_000);
    const waiting = await scrape();
    expect(sample(waiting, 'proof_transaction_status_changes_total', changed)).toBe(changesBefore + 1);
    expect(sample(waiting, 'proof_webhook_attempts_total', { outcome: 'http_error' })).toBe(
      sample(start, 'proof_webhook_attempts_total', { outcome: 'http_error' }) + 1,
    );
    expect(sample(waiting, 'proof_webhook_queue_depth')).toBe(1);
    expect(sample(waiting, 'proof_webhook_queue_oldest_age_seconds')).toBeGreaterThanOrEqual(3);
    expect(sample(waiting, 'proof_webhook_endpoints_disabled')).toBe(0);

    // It answers again: the retry is delivered and the queue is empty.
    receiver.respond = answer(204);
    server.clock.advance(60 * 60_000);
    await server.background!.webhooks.drain();
    expect(receiver.forTransaction(id)).toHaveLength(2);
    const delivered = await scrape();
    expect(sample(delivered, 'proof_webhook_attempts_total', { outcome: 'success' })).toBe(
      sample(start, 'proof_webhook_attempts_total', { outcome: 'success' }) + 1,
    );
    expect(sample(delivered, 'proof_webhook_queue_depth')).toBe(0);
    expect(sample(delivered, 'proof_webhook_queue_oldest_age_seconds')).toBe(0);
  });

  it('counts disabled webhook endpoints', async () => {
    const other = await server.createPartner({ name: 'Disabled Partner' });
    const setEnabled = (enabled: boolean) =>
      server.platform.db
        .updateTable('webhook_endpoints')
        .set({ enabled, disabled_reason: enabled ? null : 'test' })
        .where('partner_id', '=', other.partner_id)
        .execute();
    await setEnabled(false);
    expect(sample(await scrape(), 'proof_webhook_endpoints_disabled')).toBe(1);
    await setEnabled(true);
    expect(sample(await scrape(), 'proof_webhook_endpoints_disabled')).toBe(0);
  });

  it('counts open WebSocket subscriptions', async () => {
    const id = await server.newSession();
    const base = sample(await scrape(), 'proof_websocket_connections');
    const client = connect(server, { tx_id: id }, server.partner.client_token);
    await client.next(1);
    expect(sample(await scrape(), 'proof_websocket_connections')).toBe(base + 1);
    client.socket.close();
    await client.closed;
    await waitUntil(
      async () => sample(await scrape(), 'proof_websocket_connections') === base,
      5_000,
      () => 'the closed socket is still counted',
    );
  });

  // Last: it spends this address's failed authentications.
  it('rations wrong admin tokens with the admin API throttle', async () => {
    let refused: HttpResult | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const result = await request(`${server.url}/metrics`, { token: `wrong-${i}` });
      if (result.status === 429) refused = result;
      else expect(result.status).toBe(401);
    }
    expect(refused).toBeDefined();
    expectError(refused!, 429, 'rate_limited', 'rate_limit_exceeded');
    expect(refused!.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('metrics on METRICS_PORT', () => {
  let child: ProofChild;
  let metricsPort: number;
  let dataDir: string;
  let dropDatabase: () => Promise<void>;

  beforeAll(async () => {
    const database = await childDatabase();
    dropDatabase = database.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'proof-metrics-'));
    metricsPort = await freePort();
    child = await startProofServe({ ...database.env, DATA_DIR: dataDir, METRICS_PORT: String(metricsPort) });
  }, 90_000);
  afterAll(async () => {
    await child?.stop();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves /metrics there without a token, and not on the main port', async () => {
    expect(child.output()).toContain(`Metrics: http://127.0.0.1:${metricsPort}/metrics`);
    const scraped = await request(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toBe(PROMETHEUS_TEXT);
    for (const [name, type] of FAMILIES) expect(scraped.body).toContain(`# TYPE ${name} ${type}\n`);

    expectError(await request(`http://127.0.0.1:${metricsPort}/admin/partners`, { token: ADMIN_TOKEN }), 404, 'not_found', 'not_found');
    expectError(await request(`${child.url}/metrics`, { token: ADMIN_TOKEN }), 404, 'not_found', 'not_found');
    // The main port's requests are counted and scraped on the metrics port.
    expect((await request(`${child.url}/healthz`)).status).toBe(200);
    const after = await request(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(
      sample(after.body, 'proof_http_request_duration_seconds_count', { method: 'GET', route: '/healthz', status_code: '200' }),
    ).toBeGreaterThanOrEqual(1);
  });
});
