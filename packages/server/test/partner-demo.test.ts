import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PartnerDemo, startPartnerDemo } from '../../../examples/partner-demo/src/demo-server.ts';
import { hostedWidgetUrl } from '../../sdk-node/src/index.ts';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { ADMIN_TOKEN } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * The demo partner (examples/partner-demo), started in-process as `npm start` starts it, against a
 * real platform whose partner has the demo's origins registered and its webhook_url at the demo:
 * its page, its sessions (created by the platform), its hosted-page redirect, and its webhook
 * receiver (real signed deliveries, and forged ones refused).
 */
describe('the demo partner', () => {
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV });
  let demo: PartnerDemo;

  beforeAll(async () => {
    demo = await startPartnerDemo({
      platformUrl: server.url,
      clientToken: server.partner.client_token,
      webhookSecret: server.partner.webhook_secret,
      port: 0,
    });
    const wired = await server.admin(`/partners/${server.partner.partner_id}`, {
      method: 'PATCH',
      body: { origins: ['http://localhost:8080', ...demo.origins], webhook_url: demo.webhookUrl },
    });
    expect(wired.status, JSON.stringify(wired.body)).toBe(200);
  });
  afterAll(() => demo?.close());

  const post = (path: string, body: unknown) =>
    fetch(`${demo.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers its page, which loads the platform’s loader and its own script under a strict policy', async () => {
    expect(demo.url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(demo.origins).toEqual([demo.url, demo.url.replace('localhost', '127.0.0.1')]);
    expect(demo.webhookUrl).toBe(`${demo.url}/webhooks/proof`);

    const page = await fetch(`${demo.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain(`script-src 'self' ${server.url}`);
    expect(csp).toContain(`frame-src ${server.url}`);
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain(`<script src="${server.url}/widget.2.0.js" defer></script>`);
    // No inline script: every <script> has a src.
    expect([...html.matchAll(/<script\b([^>]*)>/g)].every(([, attributes]) => attributes!.includes('src='))).toBe(true);
    for (const [path, type] of [
      ['/app.js', 'text/javascript; charset=utf-8'],
      ['/style.css', 'text/css; charset=utf-8'],
    ]) {
      const file = await fetch(`${demo.url}${path}`);
      expect(file.status, path).toBe(200);
      expect(file.headers.get('content-type'), path).toBe(type);
    }
    expect((await fetch(`${demo.url}/nothing`)).status).toBe(404);
    expect((await fetch(`${demo.url}/api/session`)).status).toBe(405);
  });

  it('POST /api/session creates the session with the platform and answers it with its hosted page URL', async () => {
    const response = await post('/api/session', { type: 'buy', asset: 'USDT:TRC20', amount: '100' });
    expect(response.status).toBe(200);
    const { session, hosted_url } = await response.json();
    expect(session).toMatchObject({
      widget_id: server.partner.widget_id,
      merchant_transaction_id: expect.stringMatching(/^demo-[0-9a-f-]{36}$/),
      init_token_type: 'sdk_partner_authorization',
      type: 'buy',
      currency: 'USDT',
      network: 'TRC20',
      amount: '100',
      fiat_amount: '94.80',
      signature: expect.stringMatching(/^v2:[0-9a-f]{128}$/),
    });
    expect(hosted_url).toBe(hostedWidgetUrl(server.url, session));
    expect((await fetch(hosted_url)).status).toBe(200);

    // The platform knows it as the partner's, for the demo's user, with the browser's IP bound in.
    const transaction = await server.getTransaction(session.merchant_transaction_id);
    expect(transaction.body).toMatchObject({ status: 'pending', partner_user_id: 'demo-user-1', type: 'buy' });
    const stored = await (server.platform.db as any)
      .selectFrom('transactions')
      .select(['client_ip'])
      .where('merchant_transaction_id', '=', session.merchant_transaction_id)
      .executeTakeFirstOrThrow();
    expect(stored.client_ip).toBe('127.0.0.1');

    // Each order is a new transaction.
    const again = await (await post('/api/session', { type: 'buy', asset: 'USDT:TRC20', amount: '100' })).json();
    expect(again.session.merchant_transaction_id).not.toBe(session.merchant_transaction_id);
  });

  it('sells too: the session’s address is the sell’s own deposit address', async () => {
    const response = await post('/api/session', { type: 'sell', asset: 'BTC:BITCOIN', amount: '0.001' });
    expect(response.status).toBe(200);
    const { session } = await response.json();
    expect(session).toMatchObject({ type: 'sell', currency: 'BTC', network: 'BITCOIN', amount: '0.001' });
    expect(session.address).toMatch(/^bc1/);
  });

  it('in the sandbox, sends a sell’s deposit from a sandbox wallet for its page (only when given the admin token)', async () => {
    const { session } = await (await post('/api/session', { type: 'sell', asset: 'USDT:TRC20', amount: '100' })).json();
    const deposit = { network: session.network, currency: session.currency, address: session.address, amount: '100' };
    expect((await post('/api/sandbox-deposit', deposit)).status).toBe(404);

    const sandboxDemo = await startPartnerDemo({
      platformUrl: server.url,
      clientToken: server.partner.client_token,
      webhookSecret: server.partner.webhook_secret,
      port: 0,
      sandboxAdminToken: ADMIN_TOKEN,
    });
    try {
      const send = (body: unknown) =>
        fetch(`${sandboxDemo.url}/api/sandbox-deposit`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await send({ ...deposit, amount: 'lots' })).status).toBe(400);
      const sent = await send(deposit);
      expect(sent.status).toBe(200);
      // Both operator calls were accepted by the platform (a refused one answers 502 here).
      expect(await sent.json()).toEqual({ sent: true, mined: true });
    } finally {
      await sandboxDemo.close();
    }
  });

  it('refuses a malformed order itself, and passes the platform’s refusals on', async () => {
    for (const order of [{ type: 'gift' }, { asset: 'usdt' }, { amount: '1e3' }, { amount: '' }]) {
      const response = await post('/api/session', { type: 'buy', asset: 'USDT:TRC20', amount: '100', ...order });
      expect(response.status, JSON.stringify(order)).toBe(400);
    }
    const tooMuch = await post('/api/session', { type: 'buy', asset: 'USDT:TRC20', amount: '1000000' });
    expect(tooMuch.status).toBe(400);
    expect(await tooMuch.json()).toMatchObject({ code: 'amount_out_of_range' });
    const notJson = await fetch(`${demo.url}/api/session`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('POST /hosted redirects to the hosted page, the session in the fragment and a way back to the shop', async () => {
    const response = await fetch(`${demo.url}/hosted`, {
      method: 'POST',
      body: new URLSearchParams({ type: 'buy', asset: 'USDT:TRC20', amount: '50' }),
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}${location.search}`).toBe(
      `${server.url}/embed/v1/hosted?widget_id=${server.partner.widget_id}`,
    );
    const fields = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
    expect(fields).toMatchObject({ widget_id: server.partner.widget_id, type: 'buy', amount: '50', fix_amount: 'true' });
    expect(fields.redirect_url).toBe(`${demo.url}/?returned=${fields.merchant_transaction_id}`);
    expect((await server.getTransaction(fields.merchant_transaction_id!)).status).toBe(200);
  });

  it('receives the platform’s signed webhooks and relays each status to its page live', async () => {
    server.clock.set(new Date()); // the signature's timestamp must be within 5 minutes of the demo's clock
    const events = await openEvents(`${demo.url}/api/events`);
    try {
      const { session } = await (await post('/api/session', { type: 'buy', asset: 'USDT:TRC20', amount: '100' })).json();
      const id = session.merchant_transaction_id;
      for (const status of ['processing', 'completed']) {
        expect((await server.sandboxMove(id, status)).status).toBe(200);
        await server.background!.webhooks.drain();
      }
      await until(() => demo.webhooks.filter((hook) => hook.payload.merchant_transaction_id === id).length === 2, 'the two webhooks');
      const received = demo.webhooks.filter((hook) => hook.payload.merchant_transaction_id === id);
      expect(received.map((hook) => hook.payload.status)).toEqual(['processing', 'completed']);
      expect(received[0]!.id).toMatch(/^msg_/);
      await until(() => events.text().split('event: webhook\n').length === 3, 'the two relayed events');
      const relayed = events
        .text()
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)));
      expect(relayed.map((event) => [event.payload.merchant_transaction_id, event.payload.status])).toEqual([
        [id, 'processing'],
        [id, 'completed'],
      ]);
    } finally {
      events.close();
    }
  });

  it('accepts a correctly signed webhook and refuses (400) a wrongly signed, tampered, stale or unsigned one', async () => {
    const body = JSON.stringify({ merchant_transaction_id: `by-hand-${randomUUID()}`, type: 'buy', status: 'processing' });
    const sign = (secret: string, payload: string, at = new Date(), id = `msg_${randomUUID()}`) => ({
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, payload),
    });
    const send = (headers: Record<string, string>, payload = body) =>
      fetch(demo.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
    const before = demo.webhooks.length;

    const genuine = await send(sign(server.partner.webhook_secret, body));
    expect(genuine.status).toBe(204);
    expect(demo.webhooks).toHaveLength(before + 1);
    expect(demo.webhooks.at(-1)!.payload).toEqual(JSON.parse(body));

    const otherSecret = `whsec_${Buffer.from('another secret of 32 bytes here!').toString('base64')}`;
    const refused = [
      await send(sign(otherSecret, body)),
      await send(sign(server.partner.webhook_secret, body), body.replace('processing', 'completed')),
      await send(sign(server.partner.webhook_secret, body, new Date(Date.now() - 10 * 60_000))),
      await send({}),
    ];
    for (const response of refused) {
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_signature' });
    }
    expect(demo.webhooks).toHaveLength(before + 1);
  });
});

/** A Server-Sent Events stream read as text, as it arrives. */
async function openEvents(url: string): Promise<{ text(): string; close(): void }> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  let text = '';
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of response.body!) text += decoder.decode(chunk, { stream: true });
    } catch {
      // aborted by close()
    }
  })();
  return { text: () => text, close: () => controller.abort() };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
