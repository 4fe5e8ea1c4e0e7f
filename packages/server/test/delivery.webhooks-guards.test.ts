import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import type { PartnerCredentials } from './helpers/test-platform.ts';
import { type ServerWithPartner, useServerWithPartner } from './helpers/use-server-with-partner.ts';
import { answer, startWebhookReceiver } from './helpers/webhook-receiver.ts';

/**
 * The webhook sender's guards, each needing its own server settings: a receiver that never answers
 * is cut off at WEBHOOK_TIMEOUT and recorded as a timeout; with WEBHOOK_ALLOW_PRIVATE_TARGETS off,
 * nothing is sent to loopback, private or link-local addresses (the SSRF guard), even to an endpoint
 * whose URL passed the same check when it was configured (partners.config.test.ts).
 */

const admin = (server: ServerWithPartner, path: string, method = 'GET', body?: unknown) => server.admin(path, { method, body });
const newSession = (server: ServerWithPartner, partner: PartnerCredentials) => server.newSession({}, { token: partner.client_token });
const deliveriesOf = async (server: ServerWithPartner, partner: PartnerCredentials) => {
  const result = await admin(server, `/webhooks/deliveries?partner_id=${partner.partner_id}`);
  expect(result.status).toBe(200);
  return result.body.deliveries as any[];
};

describe('WEBHOOK_TIMEOUT=300ms', () => {
  const server = useServerWithPartner({ background: true, env: { ...DELIVERY_ENV, WEBHOOK_TIMEOUT: '300ms' }, webhookReceiver: true });
  const held: ServerResponse[] = [];

  it('records a receiver that never answers as a timeout (no status code) and retries it', async () => {
    server.receiver.respond = (_hook, res) => held.push(res);
    const partner = await server.createPartner({ webhook_url: `${server.receiver.url}/slow` });
    const id = await newSession(server, partner);
    expect((await server.sandboxMove(id, 'processing')).status).toBe(200);
    await server.background!.webhooks.drain();
    expect(server.receiver.forTransaction(id)).toHaveLength(1);
    const [row] = await deliveriesOf(server, partner);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null, last_error: 'timeout' });
    const shown = (await admin(server, `/webhooks/deliveries/${row.id}`)).body;
    expect(shown.attempts).toHaveLength(1);
    expect(shown.attempts[0]).toMatchObject({ attempt: 1, status_code: null, error: 'timeout' });
    expect(shown.attempts[0].latency_ms).toBeGreaterThanOrEqual(250);
    expect(shown.attempts[0].latency_ms).toBeLessThan(5_000);

    // Answering in time on the retry delivers it.
    server.receiver.respond = answer(204);
    server.clock.advance(6_000);
    await server.background!.webhooks.drain();
    expect(server.receiver.forTransaction(id)).toHaveLength(2);
    expect((await deliveriesOf(server, partner))[0]).toMatchObject({
      status: 'delivered',
      attempts: 2,
      last_status_code: 204,
      last_error: null,
    });
  });

  it('a 2xx whose body never finishes still counts as delivered: the status code is the answer', async () => {
    server.receiver.respond = (_hook, res) => {
      held.push(res);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('partial');
    };
    const partner = await server.createPartner({ webhook_url: `${server.receiver.url}/stalls` });
    const id = await newSession(server, partner);
    expect((await server.sandboxMove(id, 'processing')).status).toBe(200);
    await server.background!.webhooks.drain();
    expect(server.receiver.forTransaction(id)).toHaveLength(1);
    const [row] = await deliveriesOf(server, partner);
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 200, last_error: null });
    const [attempt] = (await admin(server, `/webhooks/deliveries/${row.id}`)).body.attempts;
    // Reading the rest of the body is bounded by the same timeout.
    expect(attempt.latency_ms).toBeGreaterThanOrEqual(250);
    expect(attempt.latency_ms).toBeLessThan(5_000);
  });

  it('while a receiver hangs, another partner still gets its webhook (within one timeout)', async () => {
    const hanging = await startWebhookReceiver();
    const healthy = await startWebhookReceiver();
    hanging.respond = (_hook, res) => held.push(res);
    try {
      const slowPartner = await server.createPartner({ webhook_url: `${hanging.url}/hooks` });
      const goodPartner = await server.createPartner({ webhook_url: `${healthy.url}/hooks` });
      const slowTx = await newSession(server, slowPartner);
      const goodTx = await newSession(server, goodPartner);
      expect((await server.sandboxMove(slowTx, 'processing')).status).toBe(200);
      await hanging.waitFor(1);
      const moved = await server.sandboxMove(goodTx, 'processing');
      expect(moved.status).toBe(200);
      await healthy.waitFor(1, 3_000);
      expect(healthy.forTransaction(goodTx).map((hook) => hook.json.status)).toEqual(['processing']);
      await server.background!.webhooks.drain();
      expect((await deliveriesOf(server, goodPartner))[0]).toMatchObject({ status: 'delivered' });
      expect((await deliveriesOf(server, slowPartner))[0]).toMatchObject({ status: 'pending', last_error: 'timeout' });
    } finally {
      await hanging.close();
      await healthy.close();
    }
  });
});

describe('WEBHOOK_ALLOW_PRIVATE_TARGETS=false (SSRF guard)', () => {
  // The receiver only proves that nothing arrives; the seeded partner has no webhook_url.
  const server = useServerWithPartner({
    background: true,
    env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', SANDBOX_TOOLS: 'true' },
    webhookReceiver: true,
    partner: { webhook_url: null },
  });

  const port = (): string => new URL(server.receiver.url).port;
  /**
   * A partner whose endpoint points at `url`. Configuration refuses such a URL now, so it is written to
   * delivery's record directly: as when a name resolved to a public address when it was configured and
   * resolves to a private one later (DNS rebinding), which only the send-time check can catch.
   */
  const partnerTargeting = async (url: string) => {
    const partner = await server.createPartner({ webhook_url: null });
    await server.platform.db.updateTable('webhook_endpoints').set({ url }).where('partner_id', '=', partner.partner_id).execute();
    return partner;
  };
  const loopback = /^blocked: (localhost|127\.0\.0\.1) resolves to (127\.0\.0\.1|::1), a private, loopback or link-local address$/;

  it.each([
    [
      'an IPv4 loopback literal',
      (): string => `http://127.0.0.1:${port()}/hooks`,
      'blocked: 127.0.0.1 resolves to 127.0.0.1, a private, loopback or link-local address',
    ],
    [
      'a shortened loopback literal',
      (): string => `http://127.1:${port()}/hooks`,
      'blocked: 127.0.0.1 resolves to 127.0.0.1, a private, loopback or link-local address',
    ],
    [
      'an IPv6 loopback literal',
      (): string => `http://[::1]:${port()}/hooks`,
      'blocked: ::1 resolves to ::1, a private, loopback or link-local address',
    ],
    [
      'an IPv4-mapped IPv6 loopback',
      (): string => `http://[::ffff:127.0.0.1]:${port()}/hooks`,
      'blocked: ::ffff:7f00:1 resolves to ::ffff:7f00:1, a private, loopback or link-local address',
    ],
    ['a name that resolves to loopback', (): string => `http://localhost:${port()}/hooks`, loopback],
    [
      'a private network address',
      (): string => 'http://10.1.2.3/hooks',
      'blocked: 10.1.2.3 resolves to 10.1.2.3, a private, loopback or link-local address',
    ],
    [
      'the cloud metadata address',
      (): string => 'http://169.254.169.254/latest/meta-data',
      'blocked: 169.254.169.254 resolves to 169.254.169.254, a private, loopback or link-local address',
    ],
  ] as const)('%s: nothing is sent, the attempt is recorded as blocked and the delivery failed at once', async (_label, url, error) => {
    const before = server.receiver.received.length;
    const partner = await partnerTargeting(url());
    const id = await newSession(server, partner);
    expect((await server.sandboxMove(id, 'processing')).status).toBe(200);
    await server.background!.webhooks.drain();
    expect(server.receiver.received).toHaveLength(before);

    const [row] = await deliveriesOf(server, partner);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null });
    expect(row.last_error).toMatch(/^blocked: /);
    if (typeof error === 'string') expect(row.last_error).toBe(error);
    else expect(row.last_error).toMatch(error);
    const shown = (await admin(server, `/webhooks/deliveries/${row.id}`)).body;
    expect(shown.attempts).toEqual([
      {
        attempt: 1,
        started_at: expect.any(String),
        status_code: null,
        latency_ms: expect.any(Number),
        error: row.last_error,
        trigger: 'scheduled',
      },
    ]);

    // Not retried, and a replay is blocked again.
    server.clock.advance(86_400_000);
    await server.background!.webhooks.drain();
    expect((await admin(server, `/webhooks/deliveries/${row.id}/replay`, 'POST', {})).body).toEqual({ replayed: true });
    await server.background!.webhooks.drain();
    expect(server.receiver.received).toHaveLength(before);
    expect((await deliveriesOf(server, partner))[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await admin(server, `/webhooks/deliveries/${row.id}`)).body.attempts.map((a: any) => a.error)).toEqual([
      row.last_error,
      row.last_error,
    ]);
  });

  it('a test event to a loopback URL is blocked as well', async () => {
    const partner = await partnerTargeting(`${server.receiver.url}/hooks`);
    const result = await admin(server, `/partners/${partner.partner_id}/webhooks/test`, 'POST', {});
    expect(result.status).toBe(202);
    await server.background!.webhooks.drain();
    expect(server.receiver.received).toHaveLength(0);
    const shown = (await admin(server, `/webhooks/deliveries/${result.body.delivery_id}`)).body;
    expect(shown).toMatchObject({
      status: 'failed',
      last_error: 'blocked: 127.0.0.1 resolves to 127.0.0.1, a private, loopback or link-local address',
    });
  });
});
