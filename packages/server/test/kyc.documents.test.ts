import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDocument } from '../src/modules/kyc/document-envelope.ts';
import { getKycState, storeDocument, submitVerification } from '../src/modules/kyc/kyc-service.ts';
import { purgeOldRecords } from '../src/workers.ts';
import { SAMPLE_JPEG, SAMPLE_PNG } from './conformance/kyc.ts';
import { logCollector } from './helpers/log-collector.ts';
import { kycSandbox } from './helpers/platform-internals.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Identity documents as the kyc module takes them: checked by their bytes and size, sealed under a
 * data key of their own, never readable in the database or the logs, never served back, and deleted
 * after KYC_DOCUMENT_RETENTION.
 */

const DAY = 86_400_000;
const LIMIT = 4096;
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

describe('identity documents', () => {
  const logs = logCollector('debug');
  const server = useServerWithPartner({
    background: true,
    env: { SANDBOX_KYC_DELAY: '0', KYC_MAX_UPLOAD_BYTES: String(LIMIT), LOG_LEVEL: 'debug' },
    platformOptions: { logger: logs.logger },
  });

  const subject = async (user: string) => ({
    partnerId: server.partner.partner_id,
    partnerUserId: user,
    merchantTransactionId: await server.newSession({ partner_user_id: user }),
  });
  const upload = async (who: Awaited<ReturnType<typeof subject>>, side: 'front' | 'back' | 'selfie', bytes: Uint8Array) =>
    storeDocument(server.platform, { ...who, side, bytes });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: { status?: number; code?: string }) => `${error.status} ${error.code}`,
    );

  it('takes JPEG, PNG and PDF by their bytes, and tells what it stored', async () => {
    const who = await subject('docs-types');
    expect(await upload(who, 'front', PDF)).toEqual({
      document_id: expect.stringMatching(/^kyd_[0-9A-Za-z]{20}$/),
      side: 'front',
      content_type: 'application/pdf',
      size: PDF.length,
    });
    expect(await upload(who, 'back', SAMPLE_JPEG)).toMatchObject({ side: 'back', content_type: 'image/jpeg', size: SAMPLE_JPEG.length });
    expect(await upload(who, 'selfie', SAMPLE_PNG)).toMatchObject({ side: 'selfie', content_type: 'image/png', size: SAMPLE_PNG.length });
    expect((await getKycState(server.platform, who)).uploaded.sort()).toEqual(['back', 'front', 'selfie']);
  });

  it('refuses a renamed text file (415), a PDF selfie (415), an empty file (400) and one byte over the limit (413)', async () => {
    const who = await subject('docs-refused');
    const text = Buffer.from('passport.jpg: this is not an image\n');
    expect(await refusal(upload(who, 'front', text))).toBe('415 unsupported_media_type');
    expect(await refusal(upload(who, 'selfie', PDF))).toBe('415 unsupported_media_type');
    expect(await refusal(upload(who, 'front', Buffer.alloc(0)))).toBe('400 validation_error');
    const atLimit = Buffer.concat([SAMPLE_JPEG, Buffer.alloc(LIMIT - SAMPLE_JPEG.length)]);
    expect(await refusal(upload(who, 'front', Buffer.concat([atLimit, Buffer.of(0)])))).toBe('413 body_too_large');
    expect(await refusal(upload(who, 'front', atLimit))).toBe('accepted');
    expect(await refusal(storeDocument(server.platform, { ...who, side: 'left' as 'front', bytes: SAMPLE_JPEG }))).toBe(
      '400 validation_error',
    );
    // Another user's transaction is not found, exactly like an unknown one.
    const other = await subject('docs-other');
    expect(await refusal(upload({ ...who, merchantTransactionId: other.merchantTransactionId }, 'front', SAMPLE_JPEG))).toBe(
      '404 not_found',
    );
    expect(await refusal(upload({ ...who, merchantTransactionId: 'no-such-transaction' }, 'front', SAMPLE_JPEG))).toBe('404 not_found');
    // A finished transaction takes no documents.
    expect((await server.sandboxMove(other.merchantTransactionId, 'cancelled')).status).toBe(200);
    expect(await refusal(upload(other, 'front', SAMPLE_JPEG))).toBe('409 transaction_not_pending');
  });

  it('keeps one waiting upload per side: a second upload replaces the first', async () => {
    const who = await subject('docs-replace');
    const first = await upload(who, 'front', SAMPLE_JPEG);
    const second = await upload(who, 'front', PDF);
    expect(second.document_id).not.toBe(first.document_id);
    const rows = await server.platform.db
      .selectFrom('kyc_documents')
      .selectAll()
      .where('side', '=', 'front')
      .where('id', 'in', [first.document_id, second.document_id])
      .execute();
    expect(rows.map((row) => [row.id, row.content_type, row.size])).toEqual([[second.document_id, 'application/pdf', PDF.length]]);
  });

  it('seals each document under its own key, bound to its id: a marker inside is found in no table and no log line', async () => {
    const marker = 'KYC-MARKER-5b1e9c';
    const who = await subject('docs-sealed');
    const front = await upload(who, 'front', Buffer.concat([SAMPLE_JPEG, Buffer.from(` ${marker} front`)]));
    await upload(who, 'back', Buffer.concat([PDF, Buffer.from(`% ${marker} back`)]));
    await upload(who, 'selfie', Buffer.concat([SAMPLE_PNG, Buffer.from(`tEXt${marker}`)]));
    // The person goes to the provider and is stored nowhere either.
    await submitVerification(server.platform, {
      ...who,
      documentType: 'national_id',
      person: { first_name: `${marker}-first`, last_name: `${marker}-last`, document_number: `${marker}-number` },
    });
    await kycSandbox(server).idle();
    await server.background!.callbacks.drain();
    expect((await getKycState(server.platform, who)).status).toBe('verified');

    const row = await server.platform.db
      .selectFrom('kyc_documents')
      .selectAll()
      .where('id', '=', front.document_id)
      .executeTakeFirstOrThrow();
    const sealed = { wrappedKey: row.wrapped_key, ciphertext: Buffer.from(row.ciphertext) };
    expect(openDocument(server.platform.sealer, { documentId: row.id, sealed }).toString('latin1')).toContain(marker);
    expect(() => openDocument(server.platform.sealer, { documentId: 'kyd_00000000000000000000', sealed })).toThrow();

    const forms = encodings(marker);
    const found: string[] = [];
    const { rows: tables } = await sql<{ name: string }>`
      select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(
      server.platform.db,
    );
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining(['kyc_documents', 'kyc_verifications', 'identities', 'provider_events']),
    );
    for (const { name } of tables) {
      const { rows: asText } = await sql<{ row: string }>`select t::text as row from ${sql.table(name)} t`.execute(server.platform.db);
      const { rows: values } = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(server.platform.db);
      for (const text of asText.map((r) => r.row)) if (forms.some((form) => text.includes(form))) found.push(`${name} (as text)`);
      for (const value of values.flatMap((r) => Object.values(r))) {
        if (value instanceof Uint8Array && Buffer.from(value).includes(marker)) found.push(`${name} (bytes)`);
        if (
          typeof value === 'string' ||
          (typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !(value instanceof Date))
        ) {
          const text = typeof value === 'string' ? value : JSON.stringify(value);
          if (forms.some((form) => text.includes(form))) found.push(`${name} (value)`);
        }
      }
    }
    expect(found).toEqual([]);
    expect(logs.lines.length).toBeGreaterThan(0);
    const logText = logs.lines.map((line) => JSON.stringify(line)).join('\n');
    expect(forms.filter((form) => logText.includes(form))).toEqual([]);
  });

  it('serves documents back on no route', async () => {
    const openapi = await server.request('/openapi.json', { token: null });
    const readable = Object.entries(openapi.body.paths as Record<string, Record<string, unknown>>).filter(
      ([path, methods]) => /document|selfie|kyc/i.test(path) && 'get' in methods && !path.endsWith('/kyc-status'),
    );
    expect(readable.map(([path]) => path)).toEqual([]);
  });

  it('deletes documents KYC_DOCUMENT_RETENTION (90 days) after their upload, submitted or not, and keeps the decision', async () => {
    // Earlier tests' documents out of the way, so the counts below are this test's.
    await server.platform.db.deleteFrom('kyc_documents').execute();
    const who = await subject('docs-purge');
    await upload(who, 'front', SAMPLE_JPEG);
    await upload(who, 'selfie', SAMPLE_PNG);
    await submitVerification(server.platform, { ...who, documentType: 'passport', person: { first_name: 'Ada', last_name: 'Lovelace' } });
    await kycSandbox(server).idle();
    await server.background!.callbacks.drain();
    server.clock.advance(1000);
    const later = await subject('docs-purge-later');
    await upload(later, 'front', SAMPLE_JPEG);

    // 90 days after the first two uploads (and a second less after the third), the first two go.
    server.clock.advance(90 * DAY);
    expect((await purgeOldRecords(server.platform)).kycDocuments).toBe(2);
    expect((await getKycState(server.platform, later)).uploaded).toEqual(['front']);
    server.clock.advance(1);
    expect((await purgeOldRecords(server.platform)).kycDocuments).toBe(1);
    expect(await server.platform.db.selectFrom('kyc_documents').select('id').execute()).toEqual([]);
    const decisions = await server.platform.db
      .selectFrom('kyc_verifications')
      .select('status')
      .where('merchant_transaction_id', '=', who.merchantTransactionId)
      .execute();
    expect(decisions).toEqual([{ status: 'verified' }]);
    expect(await getKycState(server.platform, who)).toEqual({ status: 'verified', required: false, uploaded: [] });
    expect((await getKycState(server.platform, later)).uploaded).toEqual([]);
  });
});

/** The marker as text, as hex (how bytea reads as text) and inside base64 at each of its three alignments. */
function encodings(marker: string): string[] {
  const bytes = Buffer.from(marker);
  const base64 = [0, 1, 2].flatMap((shift) => {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Leave out the characters that mix the marker's bits with its neighbours'.
    const inner = encoded.slice(Math.ceil((shift * 4) / 3) + 1, -4);
    return [inner, inner.replaceAll('+', '-').replaceAll('/', '_')];
  });
  return [marker, bytes.toString('hex'), ...base64];
}
