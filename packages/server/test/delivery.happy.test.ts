import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

describe('status delivery: WebSocket and signed webhooks', () => {
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV, webhookReceiver: true });

  it('sends the current state first, then every change, and closes after a terminal status', async () => {
    const { receiver, partner } = server;
    server.clock.set(new Date()); // receivers check webhook-timestamp against their own clock
    const session = await server.createSession();
    const id = session.body.merchant_transaction_id;
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws?tx_id=${id}`, {
      headers: { authorization: `Bearer ${partner.client_token}` },
    });
    const messages: any[] = [];
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    const first = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await first;

    expect((await server.sandboxMove(id, 'processing')).status).toBe(200);
    expect((await server.sandboxMove(id, 'completed')).status).toBe(200);
    expect(await closed).toBe(1000);
    expect(messages.map((m) => m.status)).toEqual(['pending', 'processing', 'completed']);
    expect(messages[2]).toMatchObject({
      event: 'tx.update',
      merchant_transaction_id: id,
      crypto_amount: '100',
      fiat_amount: '94.80',
      currency: 'USDT',
    });

    const illegal = await server.sandboxMove(id, 'processing');
    expect(illegal.status).toBe(409);
    expect(illegal.body.code).toBe('illegal_transition');

    await server.background!.webhooks.drain();
    const hooks = receiver.forTransaction(id);
    expect(hooks.map((hook) => hook.json.status)).toEqual(['processing', 'completed']);
    const verifier = new Webhook(partner.webhook_secret);
    for (const hook of hooks) {
      expect(() => verifier.verify(hook.body, hook.headers as Record<string, string>)).not.toThrow();
    }
  });
});
