import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionBody, startTestServer, type PartnerCredentials, type TestServer } from '../../server/test/helpers/test-platform.ts';
import { ProofRamp, ProofRampWebhookError, verifyWebhook, type Transaction } from '../src/index.ts';
import { moveStatus, waitFor } from './helpers.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('verifyWebhook with real signed deliveries', () => {
  let server: TestServer;
  let receiver: Server;
  let partner: PartnerCredentials;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    server = await startTestServer({ background: true, env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', SANDBOX_TOOLS: 'true' } });
    partner = await server.createPartner({ webhook_url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` });
  });
  afterAll(async () => {
    await server.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  /** Moves a new transaction to processing and returns the webhook the receiver got for it. */
  async function deliveredHook(): Promise<{ id: string; hook: Received }> {
    server.clock.set(new Date()); // the signature's timestamp must be within 5 minutes of the receiver's clock
    const sdk = new ProofRamp({ baseUrl: server.url, clientToken: partner.client_token });
    const { merchant_transaction_id: id } = await sdk.createSession(sessionBody() as never);
    await moveStatus(server, id, 'processing');
    await server.background!.webhooks.drain();
    const find = () => received.find((hook) => hook.body.includes(id));
    await waitFor(() => find() !== undefined, 'the webhook');
    return { id, hook: find()! };
  }

  it('returns the parsed payload of a genuine delivery', async () => {
    const { id, hook } = await deliveredHook();
    const payload = verifyWebhook(hook.body, hook.headers, partner.webhook_secret) as Transaction;
    expect(payload).toMatchObject({ merchant_transaction_id: id, status: 'processing', type: 'buy', currency: 'USDT', crypto_amount: '100' });
    // A Fetch Headers object (e.g. from a Request in a fetch-style framework) works as well.
    const headers = new Headers(Object.entries(hook.headers).map(([name, value]) => [name, String(value)]));
    expect(verifyWebhook(Buffer.from(hook.body), headers, partner.webhook_secret)).toEqual(payload);
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
    rejects(() => verifyWebhook(hook.body.replace('"processing"', '"completed"'), hook.headers, partner.webhook_secret), /signature/i);
    const other = await server.createPartner();
    rejects(() => verifyWebhook(hook.body, hook.headers, other.webhook_secret), /signature/i);
    const { ['webhook-signature']: _dropped, ...unsigned } = hook.headers;
    rejects(() => verifyWebhook(hook.body, unsigned, partner.webhook_secret), /missing/i);

    const id = String(hook.headers['webhook-id']);
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    const replayed = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(tenMinutesAgo.getTime() / 1000)),
      'webhook-signature': new Webhook(partner.webhook_secret).sign(id, tenMinutesAgo, hook.body),
    };
    rejects(() => verifyWebhook(hook.body, replayed, partner.webhook_secret), /too old/i);
  });
});
