import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CARDS } from '../src/modules/payments/sandbox-payment-provider.ts';
import { card, FILES, openBody } from './helpers/embed-kit.ts';
import { type CreatedPartner, childDatabase, createPartner, type ProofChild, startProofServe, waitUntil } from './helpers/proof-child.ts';
import { request, sessionBody } from './helpers/test-platform.ts';

/**
 * What a user hands over stays sealed: a marker written inside an uploaded identity document and a
 * card number used to pay are found nowhere in the data folder (the embedded database's files
 * included), in no row of the database, and in no log line, even at debug level, once a real
 * `proof serve` has taken them through a whole buy. A marker sent where it is stored in the clear
 * (the partner's user id) is found, which shows the search can find what is there.
 */

const DOCUMENT_MARKER = `DOC-MARKER-${Date.now().toString(36)}`;
const VISIBLE_MARKER = `VISIBLE-MARKER-${Date.now().toString(36)}`;
const CARD_NUMBER = SANDBOX_CARDS.success;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('secrets at rest after a whole buy (proof serve child)', () => {
  let node: ProofChild;
  let partner: CreatedPartner;
  let database: Awaited<ReturnType<typeof childDatabase>>;
  const dataDir = mkdtempSync(join(tmpdir(), 'proof-at-rest-'));
  const logFile = join(tmpdir(), `proof-at-rest-${process.pid}.log`);

  beforeAll(async () => {
    database = await childDatabase();
    node = await startProofServe(
      { ...database.env, DATA_DIR: dataDir, LOG_LEVEL: 'debug', SANDBOX_KYC_DELAY: '0', SANDBOX_PAYMENT_DELAY: '0' },
      undefined,
      { logFile },
    );
    partner = await createPartner(node.url, 'https://partner.example/hooks');
  }, 90_000);

  afterAll(async () => {
    await node?.kill();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(logFile, { force: true });
  });

  it('a document marker and a card number are in no file, row or log line', { timeout: 60_000 }, async () => {
    const created = await request(`${node.url}/widget/session`, {
      token: partner.client_token,
      body: sessionBody({ partner_user_id: VISIBLE_MARKER }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const opened = await request(`${node.url}/embed/v1/sessions/open`, { body: openBody(created.body) });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    const call = (path: string, options: Parameters<typeof request>[1] = {}) =>
      request(`${node.url}/embed/v1${path}`, { token: opened.body.credential, ...options });
    for (const side of ['front', 'selfie']) {
      const upload = await call(`/kyc/documents/${side}`, {
        method: 'PUT',
        rawBody: FILES.jpeg(DOCUMENT_MARKER),
        headers: { 'content-type': 'image/jpeg' },
      });
      expect(upload.status, JSON.stringify(upload.body)).toBe(200);
    }
    expect((await call('/kyc/submit', { body: { document_type: 'passport', first_name: 'Ada', last_name: 'Lovelace' } })).status).toBe(200);
    await waitUntil(
      async () => (await call('/session')).body.next_step === 'payment',
      20_000,
      () => 'verification',
    );
    expect((await call('/payments', { body: card(CARD_NUMBER) })).status).toBe(200);
    await waitUntil(
      async () => (await call('/session')).body.transaction?.status === 'processing',
      20_000,
      () => 'payment',
    );
    await node.stop(); // the embedded database writes everything out on a clean stop

    const haystacks: Array<{ where: string; bytes: Buffer }> = filesUnder(dataDir).map((path) => ({
      where: path,
      bytes: readFileSync(path),
    }));
    haystacks.push({ where: 'log', bytes: readFileSync(logFile) });
    if (database.postgres) {
      const client = new pg.Client({ connectionString: database.env.DATABASE_URL });
      await client.connect();
      try {
        const tables = await client.query<{ name: string }>(
          'select table_name as name from information_schema.tables where table_schema = current_schema()',
        );
        for (const { name } of tables.rows) {
          const rows = await client.query(`select t::text as row from "${name}" t`);
          haystacks.push({ where: `table ${name}`, bytes: Buffer.from(rows.rows.map((row) => row.row).join('\n')) });
        }
      } finally {
        await client.end();
      }
    }
    const foundIn = (needle: string) => haystacks.filter(({ bytes }) => bytes.includes(needle)).map(({ where }) => where);
    expect(foundIn(VISIBLE_MARKER).length).toBeGreaterThan(0);
    expect(foundIn(DOCUMENT_MARKER)).toEqual([]);
    expect(foundIn(CARD_NUMBER)).toEqual([]);
    expect(foundIn(CARD_NUMBER.replace(/(\d{4})(?=\d)/g, '$1 '))).toEqual([]);
  });
});
