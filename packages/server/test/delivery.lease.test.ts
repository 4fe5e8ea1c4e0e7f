import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueWebhooks } from '../src/modules/delivery/outbox.ts';
import type { WebhookSender } from '../src/modules/delivery/send-webhook.ts';
import { WebhookWorker } from '../src/modules/delivery/webhook-worker.ts';
import { startTestServer, type TestServer } from './helpers/test-platform.ts';

/**
 * A worker holds more claimed messages than it has slots. One that waits for a slot past half its
 * lease is not sent on that claim, whose lease may run out meanwhile and let another node send it
 * too: the worker gives it back and claims it again, and every send happens under a live lease.
 */
describe('a claimed message that waited past half its lease', () => {
  let server: TestServer;
  let partnerId: string;
  beforeAll(async () => {
    server = await startTestServer();
    partnerId = (await server.createPartner({ webhook_url: 'https://partner.example/hooks' })).partner_id;
  });
  afterAll(() => server.close());

  it('is given back and claimed again, not sent on a lease that may have run out', async () => {
    const { db } = server.platform;
    const now = server.clock.now();
    // 70 messages of as many transactions: 64 go out at once, 6 wait for a slot.
    await db.transaction().execute((trx) =>
      enqueueWebhooks(
        trx,
        Array.from({ length: 70 }, (_, i) => ({
          partnerId,
          transactionId: randomUUID(),
          seq: 1,
          eventType: 'tx.update',
          payload: { i },
          now,
        })),
      ),
    );
    const sends: Array<{ id: string; leaseLive: boolean }> = [];
    const answers: Array<() => void> = [];
    let holding = true;
    const sender: WebhookSender = {
      async send(message) {
        const row = await db.selectFrom('webhook_deliveries').select('lease_until').where('id', '=', message.id).executeTakeFirstOrThrow();
        sends.push({ id: message.id, leaseLive: row.lease_until !== null && row.lease_until > server.clock.now() });
        if (holding) await new Promise<void>((resolve) => answers.push(resolve));
        return { statusCode: 204, latencyMs: 1, error: null, retryAfter: null };
      },
      close: async () => {},
    };
    const worker = new WebhookWorker(server.platform, sender);
    const draining = worker.drain();
    await expect.poll(() => answers.length).toBe(64);
    // The 64 answers come after the whole lease (2 × WEBHOOK_TIMEOUT + 5 s) has passed.
    server.clock.advance(2 * server.platform.config.webhookTimeoutMs + 6_000);
    holding = false;
    for (const answer of answers) answer();
    await draining;

    expect(sends).toHaveLength(70);
    expect(new Set(sends.map((send) => send.id)).size).toBe(70);
    expect(sends.filter((send) => !send.leaseLive)).toEqual([]);
    // Given back uncounted: each message made one attempt, recorded as its first.
    const messages = await db.selectFrom('webhook_deliveries').select(['status', 'attempts']).execute();
    expect(messages.filter((message) => message.status !== 'delivered' || message.attempts !== 1)).toEqual([]);
    const attempts = await db.selectFrom('webhook_attempts').select('attempt').execute();
    expect(attempts.map((row) => row.attempt)).toEqual(Array(70).fill(1));
    await worker.stop();
  });
});
