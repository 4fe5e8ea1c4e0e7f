import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { DELIVERY_ENV } from '../../server/test/helpers/delivery-kit.ts';
import { sessionBody } from '../../server/test/helpers/test-platform.ts';
import { useServerWithPartner } from '../../server/test/helpers/use-server-with-partner.ts';
import type { ReceivedHook } from '../../server/test/helpers/webhook-receiver.ts';
import { ProofRamp, ProofRampWebhookError, type Transaction, verifyWebhook } from '../src/index.ts';
import { moveStatus, waitFor } from './helpers.ts';

describe('verifyWebhook with real signed deliveries', () => {
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV, webhookReceiver: true });

  /** Moves a new transaction to processing and returns the webhook the receiver got for it. */
  async function deliveredHook(): Promise<{ id: string; hook: ReceivedHook }> {
    server.clock.set(new Date()); // the signature's timestamp must be within 5 minutes of the receiver's clock
    const sdk = new ProofRamp({ baseUrl: server.url, clientToken: server.partner.client_token });
    const { merchant_transaction_id: id } = await sdk.createSession(sessionBody() as never);
    await moveStatus(server, id, 'processing');
    await server.background!.webhooks.drain();
    const find = () => server.receiver.received.find((hook) => hook.body.includes(id));
    await waitFor(() => find() !== undefined, 'the webhook');
    return { id, hook: find()! };
  }

  it('returns the parsed payload of a genuine delivery', async () => {
    const { id, hook } = await deliveredHook();
    const payload = verifyWebhook(hook.body, hook.headers, server.partner.webhook_secret) as Transaction;
    expect(payload).toMatchObject({
      merchant_transaction_id: id,
      status: 'processing',
      type: 'buy',
      currency: 'USDT',
      crypto_amount: '100',
    });
    // A Fetch Headers object (e.g. from a Request in a fetch-style framework) works as well.
    const headers = new Headers(Object.entries(hook.headers).map(([name, value]) => [name, String(value)]));
    expect(verifyWebhook(Buffer.from(hook.body), headers, server.partner.webhook_secret)).toEqual(payload);
  });

  it('rejects a tampered body, another secret, missing headers and a stale timestamp', async () => {
    const { hook } = await deliveredHook();
    const rejects = (run: () => unknown, why: RegExp) => {
      const error = (() => {
        try {
          run();
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ProofRampWebhookError);
      expect((error as Error).message).toMatch(why);
    };
    rejects(
      () => verifyWebhook(hook.body.replace('"processing"', '"completed"'), hook.headers, server.partner.webhook_secret),
      /signature/i,
    );
    const other = await server.createPartner();
    rejects(() => verifyWebhook(hook.body, hook.headers, other.webhook_secret), /signature/i);
    const { 'webhook-signature': _dropped, ...unsigned } = hook.headers;
    rejects(() => verifyWebhook(hook.body, unsigned, server.partner.webhook_secret), /missing/i);

    const id = String(hook.headers['webhook-id']);
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    const replayed = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(tenMinutesAgo.getTime() / 1000)),
      'webhook-signature': new Webhook(server.partner.webhook_secret).sign(id, tenMinutesAgo, hook.body),
    };
    rejects(() => verifyWebhook(hook.body, replayed, server.partner.webhook_secret), /too old/i);
  });
});
