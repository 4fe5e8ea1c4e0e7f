import { describe, expect, it } from 'vitest';
import { purgeOldRecords } from '../src/workers.ts';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';
import { answer } from './helpers/webhook-receiver.ts';

/** The hourly purge: expired idempotency keys (sessions) and delivered webhooks past WEBHOOK_RETENTION. */

const DAY = 86_400_000;

describe('purging old records', () => {
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV, webhookReceiver: true });

  const count = async (table: 'idempotency_keys' | 'webhook_deliveries' | 'webhook_attempts') =>
    Number(
      (
        await server.platform.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('forgets idempotency keys after their 24 h, delivered webhooks after 30 days, and keeps undelivered ones', async () => {
    const { receiver } = server;
    const created = await server.createSession(sessionBody(), { headers: { 'idempotency-key': 'purge-1' } });
    expect(created.status).toBe(200);
    const delivered = await server.newSession();
    expect((await server.sandboxMove(delivered, 'processing')).status).toBe(200);
    await server.background!.webhooks.drain();
    receiver.respond = answer(410); // gone: the endpoint is disabled and the message kept, undelivered
    const failed = await server.newSession();
    expect((await server.sandboxMove(failed, 'processing')).status).toBe(200);
    await server.background!.webhooks.drain();
    expect([await count('idempotency_keys'), await count('webhook_deliveries'), await count('webhook_attempts')]).toEqual([1, 2, 2]);

    server.clock.advance(DAY - 1000);
    expect(await purgeOldRecords(server.platform)).toEqual({ idempotencyKeys: 0, deliveries: 0, kycDocuments: 0 });
    server.clock.advance(2000);
    expect(await purgeOldRecords(server.platform)).toEqual({ idempotencyKeys: 1, deliveries: 0, kycDocuments: 0 });
    // The key is free again: the same key makes a new session.
    const again = await server.createSession(sessionBody(), { headers: { 'idempotency-key': 'purge-1' } });
    expect(again.body.merchant_transaction_id).not.toBe(created.body.merchant_transaction_id);

    server.clock.advance(30 * DAY);
    expect(await purgeOldRecords(server.platform)).toEqual({ idempotencyKeys: 1, deliveries: 1, kycDocuments: 0 });
    const left = await server.platform.db.selectFrom('webhook_deliveries').select(['status']).execute();
    expect(left).toEqual([{ status: 'pending' }]);
    expect(await count('webhook_attempts')).toBe(1);
  });
});
