import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateTo, migrateToLatest } from '../src/db/migrate.ts';
import { Sealer } from '../src/lib/crypto.ts';
import { testDatabase } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Delivery keeps its own record of each partner's webhook endpoint (webhook_endpoints): partners
 * state it in the same transaction as their own change, and a migration made it for partners that
 * existed before. What the outbox and the worker then send is covered by the other delivery tests.
 */

describe('webhook endpoint records', () => {
  const server = useServerWithPartner();

  const endpointOf = (partnerId: string) =>
    server.platform.db.selectFrom('webhook_endpoints').selectAll().where('partner_id', '=', partnerId).executeTakeFirstOrThrow();

  it('is made with the partner: its URL, and the secret the partner was given', async () => {
    const partner = await server.createPartner({ webhook_url: 'https://hooks.partner.example/proof' });
    const endpoint = await endpointOf(partner.partner_id);
    expect(endpoint).toMatchObject({ url: 'https://hooks.partner.example/proof', enabled: true, disabled_reason: null });
    expect(server.platform.sealer.open(endpoint.secret_enc)).toBe(partner.webhook_secret);

    const silent = await server.createPartner({ name: 'No Webhook' });
    expect(await endpointOf(silent.partner_id)).toMatchObject({ url: null, enabled: true });
  });

  it('follows every change of the webhook URL made through the admin API, and nothing else', async () => {
    const partner = await server.createPartner({ webhook_url: 'https://hooks.partner.example/v1' });
    const before = await endpointOf(partner.partner_id);

    expect((await server.admin(`/partners/${partner.partner_id}`, { method: 'PATCH', body: { name: 'Renamed' } })).status).toBe(200);
    expect(await endpointOf(partner.partner_id)).toEqual(before);

    expect(
      (
        await server.admin(`/partners/${partner.partner_id}`, {
          method: 'PATCH',
          body: { webhook_url: 'https://hooks.partner.example/v2' },
        })
      ).status,
    ).toBe(200);
    expect(await endpointOf(partner.partner_id)).toMatchObject({ url: 'https://hooks.partner.example/v2', secret_enc: before.secret_enc });

    expect((await server.admin(`/partners/${partner.partner_id}`, { method: 'PATCH', body: { webhook_url: null } })).status).toBe(200);
    expect((await endpointOf(partner.partner_id)).url).toBeNull();

    const created = await server.admin('/partners', {
      method: 'POST',
      body: {
        name: 'Via API',
        contact_email: 'api@partner.example',
        origins: ['https://api.partner.example'],
        assets: [{ currency: 'USDT', network: 'TRC20' }],
        sell: true,
        webhook_url: 'https://api.partner.example/hooks',
      },
    });
    expect(created.status).toBe(201);
    const endpoint = await endpointOf(created.body.partner_id);
    expect(endpoint).toMatchObject({ url: 'https://api.partner.example/hooks', previous_secret_enc: null });
    expect(server.platform.sealer.open(endpoint.secret_enc)).toBe(created.body.webhook_secret);
  });
});

describe('migrations 0007_webhook_endpoints, 0008_webhook_secret_rotation, 0010_partners_webhook_secret_to_delivery and 0056_webhook_endpoint_health', () => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const test = await testDatabase();
    database = await openDatabase(test.options);
    drop = test.drop;
  });
  afterAll(async () => {
    await database.close();
    await drop();
  });

  it('give every partner that existed before an endpoint record with its webhook settings, kept only there', async () => {
    const { db } = database;
    await migrateTo(db, '0006_webhook_deliveries');
    const sealer = new Sealer(randomBytes(32));
    const created = new Date('2026-01-02T03:04:05Z');
    const partner = (id: string, webhookUrl: string | null) => ({
      id,
      widget_id: `wgt_${id}`,
      name: id,
      contact_email: `${id}@partner.example`,
      status: 'active' as const,
      origins: JSON.stringify([`https://${id}.partner.example`]),
      config: JSON.stringify({}),
      webhook_url: webhookUrl,
      webhook_secret_enc: sealer.seal(`whsec_${id}`),
      created_at: created,
      updated_at: created,
    });
    await db
      .insertInto('partners')
      .values([partner('ptr_hooked', 'https://hooked.partner.example/hooks'), partner('ptr_quiet', null)])
      .execute();

    expect(await migrateToLatest(db)).toEqual(
      expect.arrayContaining([
        '0007_webhook_endpoints',
        '0008_webhook_secret_rotation',
        '0010_partners_webhook_secret_to_delivery',
        '0056_webhook_endpoint_health',
      ]),
    );

    const endpoints = await db.selectFrom('webhook_endpoints').selectAll().orderBy('partner_id').execute();
    expect(endpoints.map(({ secret_enc, ...rest }) => ({ ...rest, secret: sealer.open(secret_enc) }))).toEqual([
      {
        partner_id: 'ptr_hooked',
        url: 'https://hooked.partner.example/hooks',
        secret: 'whsec_ptr_hooked',
        previous_secret_enc: null,
        previous_secret_expires_at: null,
        enabled: true,
        disabled_reason: null,
        disabled_at: null,
        failing_since: null,
        created_at: created,
        updated_at: created,
      },
      {
        partner_id: 'ptr_quiet',
        url: null,
        secret: 'whsec_ptr_quiet',
        previous_secret_enc: null,
        previous_secret_expires_at: null,
        enabled: true,
        disabled_reason: null,
        disabled_at: null,
        failing_since: null,
        created_at: created,
        updated_at: created,
      },
    ]);
    // The partners' own copy is gone: rotation changes the endpoint's secret, and an old one must not stay at rest.
    const columns = await sql<{ column_name: string }>`
      select column_name from information_schema.columns where table_schema = current_schema() and table_name = 'partners'`.execute(db);
    expect(columns.rows.map((row) => row.column_name)).not.toContain('webhook_secret_enc');
  });
});
