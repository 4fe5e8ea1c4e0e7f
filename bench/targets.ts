/**
 * The servers a benchmark run measures, started in their own process so the load generator does not
 * share their event loop: the real API, and a bare node:http baseline that does the one equivalent
 * database operation per request on the same database and the same connection pool.
 * Prints one JSON line with the URLs and ids, then serves until killed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import pino from 'pino';
import { buildApp } from '../packages/server/src/app.ts';
import { startPlatform } from '../packages/server/src/bootstrap.ts';
import { loadConfig } from '../packages/server/src/config.ts';
import { localPartnerOperations } from '../packages/server/src/modules/partners/partner-operations.ts';
import { sandboxPartnerInput } from '../packages/server/src/modules/partners/sandbox-partner.ts';

const databaseUrl = process.env.BENCH_DATABASE_URL || undefined;
const schema = process.env.BENCH_SCHEMA || undefined;
const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000000', DATABASE_POOL_SIZE: '10' });
const platform = await startPlatform(config, {
  logger: pino({ level: 'silent' }),
  secrets: { signingSecret: randomBytes(32).toString('base64url'), encryptionKey: randomBytes(32) },
  database: databaseUrl ? { url: databaseUrl, schema, poolSize: 10 } : { dataDir: undefined },
});
const db = platform.db;

const partner = await localPartnerOperations(platform).create(sandboxPartnerInput('http://localhost:8080'));
const app = await buildApp(platform);
await app.listen({ host: '127.0.0.1', port: 0 });
const apiUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

// Transactions to read back, created through the API like a partner would.
const transactionIds: string[] = [];
for (let i = 0; i < 200; i++) {
  const response = await fetch(`${apiUrl}/widget/session`, {
    method: 'POST',
    headers: { authorization: `Bearer ${partner.client_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      partner_user_id: `bench-${i}`,
      user_email: `bench-${i}@example.com`,
      currency: 'USDT',
      network: 'TRC20',
      amount: '100',
    }),
  });
  transactionIds.push(((await response.json()) as { merchant_transaction_id: string }).merchant_transaction_id);
}

// The baseline table has the transactions table's shape, unique constraints and indexes.
await sql`create table bench_baseline (like transactions including all)`.execute(db);
const template = await db
  .selectFrom('transactions')
  .selectAll()
  .where('merchant_transaction_id', '=', transactionIds[0]!)
  .executeTakeFirstOrThrow();
await sql`insert into bench_baseline select * from transactions`.execute(db);

const baseline = createServer((request, response) => {
  const reply = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  if (request.method === 'POST') {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const id = randomUUID();
        await sql`insert into bench_baseline select * from json_populate_record(null::bench_baseline, ${JSON.stringify({
          ...template,
          id,
          merchant_transaction_id: id,
          partner_user_id: body.partner_user_id,
          session: template.session,
        })}::json)`.execute(db);
        reply(200, { id });
      } catch (error) {
        reply(500, { error: String(error) });
      }
    });
    return;
  }
  const id = request.url!.split('/').pop()!;
  sql<{ id: string }>`select * from bench_baseline where id = ${id}`.execute(db).then(
    (result) => (result.rows[0] ? reply(200, result.rows[0]) : reply(404, {})),
    (error) => reply(500, { error: String(error) }),
  );
});
await new Promise<void>((resolve) => baseline.listen(0, '127.0.0.1', resolve));
const baselineUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}`;

const rowIds = (await sql<{ id: string }>`select id from bench_baseline limit 200`.execute(db)).rows.map((row) => row.id);
process.stdout.write(
  `${JSON.stringify({ apiUrl, baselineUrl, token: partner.client_token, transactionIds, rowIds, dbKind: platform.dbKind })}\n`,
);
process.on('SIGINT', () => process.exit(0));
