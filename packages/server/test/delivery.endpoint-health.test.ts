import { afterAll, describe, expect, it } from 'vitest';
import { RETRY_DELAYS_MS } from '../src/modules/delivery/retry-schedule.ts';
import { localWebhookOperations, runWebhooksCommand } from '../src/modules/delivery/webhook-cli.ts';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { logCollector } from './helpers/log-collector.ts';
import { expectError, type PartnerCredentials } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';
import { answer, startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

/**
 * Endpoint health (Svix's model): an endpoint that fails every attempt for WEBHOOK_DISABLE_AFTER
 * (5 days), or answers 410 Gone once, is disabled with a reason; its partner's new messages are kept,
 * not sent; operators see it (admin API, `proof webhooks status`) and enabling it again sends what
 * waited, in order. Every attempt records its trigger. Time moves with the test clock, never by waiting.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 86_400_000;
/** Past the latest moment a retry after failure n can be due (the schedule has ±10 % jitter). */
const pastRetry = (failures: number) => Math.ceil(RETRY_DELAYS_MS[failures - 1]! * 1.1) + SECOND;

describe('webhook endpoint health', () => {
  const logs = logCollector('warn');
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV, platformOptions: { logger: logs.logger } });
  const receivers: WebhookReceiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  const setup = async (respond = answer(204)) => {
    const receiver = await startWebhookReceiver({ respond });
    receivers.push(receiver);
    const partner = await server.createPartner({ webhook_url: `${receiver.url}/hooks` });
    return { receiver, partner };
  };
  const newSession = (partner: PartnerCredentials) => server.newSession({}, { token: partner.client_token });
  const admin = (path: string, method = 'GET', body?: unknown) => server.admin(path, { method, body });
  const drain = () => server.background!.webhooks.drain();
  const move = async (id: string, status: string) => {
    const result = await server.sandboxMove(id, status);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
  };
  const health = async (partner: PartnerCredentials) => {
    const result = await admin(`/partners/${partner.partner_id}/webhook`);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    return result.body;
  };
  const deliveriesOf = async (partner: PartnerCredentials) =>
    (await admin(`/webhooks/deliveries?partner_id=${partner.partner_id}`)).body.deliveries as any[];
  const statuses = (receiver: WebhookReceiver) => receiver.received.map((hook) => [hook.json.merchant_transaction_id, hook.json.status]);
  const disabledLines = (partner: PartnerCredentials) =>
    logs.lines.filter((line) => line.partner_id === partner.partner_id && String(line.msg).startsWith('webhook endpoint disabled'));

  it('is disabled (failing) once every attempt has failed for WEBHOOK_DISABLE_AFTER, not before; then keeps new messages unsent', async () => {
    const { receiver, partner } = await setup(answer(503));
    const a = await newSession(partner);
    await move(a, 'processing');
    const t0 = server.clock.now();
    await drain();
    expect(await health(partner)).toEqual({
      partner_id: partner.partner_id,
      url: `${receiver.url}/hooks`,
      disabled: false,
      disabled_reason: null,
      disabled_at: null,
      failing_since: t0.toISOString(),
      pending: 1,
    });
    // Its whole retry schedule (about 75 hours) fails: the message is failed, the endpoint still enabled.
    for (let failures = 1; failures < RETRY_DELAYS_MS.length + 1; failures++) {
      server.clock.advance(pastRetry(failures));
      await drain();
    }
    expect((await deliveriesOf(partner)).map((d) => d.status)).toEqual(['failed']);
    expect(await health(partner)).toMatchObject({ disabled: false, failing_since: t0.toISOString(), pending: 0 });

    // A minute short of five days of failure: still enabled.
    server.clock.set(new Date(t0.getTime() + 5 * DAY - MINUTE));
    const b = await newSession(partner);
    await move(b, 'processing');
    await drain();
    expect(await health(partner)).toMatchObject({ disabled: false, pending: 1 });
    const sent = receiver.received.length;

    // Its retry, past five days of failure, disables the endpoint; the message is kept.
    server.clock.advance(2 * MINUTE);
    await drain();
    const disabledAt = server.clock.now().toISOString();
    expect(receiver.received).toHaveLength(sent + 1);
    expect(await health(partner)).toEqual({
      partner_id: partner.partner_id,
      url: `${receiver.url}/hooks`,
      disabled: true,
      disabled_reason: 'failing',
      disabled_at: disabledAt,
      failing_since: t0.toISOString(),
      pending: 1,
    });
    expect(disabledLines(partner)).toEqual([
      expect.objectContaining({ level: 40, partner_id: partner.partner_id, reason: 'failing', status_code: 503 }),
    ]);
    expect(JSON.stringify(logs.lines)).not.toContain(partner.webhook_secret);
    expect(JSON.stringify(logs.lines)).not.toContain(partner.webhook_secret.slice('whsec_'.length));

    // While disabled: new status changes are queued and kept, nothing is sent, however long it lasts.
    await move(b, 'completed');
    const c = await newSession(partner);
    await move(c, 'processing');
    await drain();
    server.clock.advance(3 * DAY);
    await drain();
    expect(receiver.received).toHaveLength(sent + 1);
    expect(await health(partner)).toMatchObject({ disabled: true, pending: 3 });
    expect((await deliveriesOf(partner)).filter((d) => d.status === 'pending')).toHaveLength(3);

    // Enabling it (admin API) sends what waited, in order, and clears the run of failures.
    receiver.respond = answer(204);
    const enabled = await admin(`/partners/${partner.partner_id}/webhook/enable`, 'POST', {});
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
    expect(enabled.body).toMatchObject({ disabled: false, disabled_reason: null, disabled_at: null, failing_since: null, released: 3 });
    await drain();
    // Each transaction's messages in order (different transactions go out side by side).
    expect(receiver.received).toHaveLength(sent + 4);
    expect(receiver.forTransaction(b).map((hook) => hook.json.status)).toEqual(['processing', 'processing', 'processing', 'completed']);
    expect(receiver.forTransaction(c).map((hook) => hook.json.status)).toEqual(['processing']);
    expect(await health(partner)).toMatchObject({ disabled: false, failing_since: null, pending: 0 });
    // Enabling an enabled endpoint changes nothing.
    expect((await admin(`/partners/${partner.partner_id}/webhook/enable`, 'POST', {})).body).toMatchObject({
      disabled: false,
      released: 0,
    });
  });

  it('a success ends a run of failures: the period starts again at the next failure', async () => {
    let fail = true;
    const { partner } = await setup((_hook, res) => res.writeHead(fail ? 500 : 204).end());
    const a = await newSession(partner);
    await move(a, 'processing');
    const t0 = server.clock.now();
    await drain();
    expect((await health(partner)).failing_since).toBe(t0.toISOString());
    fail = false;
    server.clock.advance(pastRetry(1));
    await drain();
    expect(await health(partner)).toMatchObject({ disabled: false, failing_since: null });
    fail = true;
    server.clock.advance(4 * DAY);
    await move(a, 'completed');
    const t1 = server.clock.now();
    await drain();
    // Five days after the first failure, but only a day into this run: still enabled.
    server.clock.advance(DAY + MINUTE);
    await drain();
    expect(await health(partner)).toMatchObject({ disabled: false, failing_since: t1.toISOString() });
  });

  it('is disabled (gone) at once by a 410; the message waits with the later ones and `proof webhooks enable` sends them in order', async () => {
    const { receiver, partner } = await setup(answer(410));
    const a = await newSession(partner);
    await move(a, 'processing');
    await drain();
    expect(await health(partner)).toMatchObject({ disabled: true, disabled_reason: 'gone', pending: 1 });
    expect(disabledLines(partner)).toEqual([expect.objectContaining({ reason: 'gone', status_code: 410 })]);
    const [kept] = await deliveriesOf(partner);
    expect(kept).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 410, last_error: 'HTTP 410' });

    // Never retried while disabled, and a replay of it waits too.
    server.clock.advance(3 * DAY);
    await move(a, 'completed');
    await drain();
    expect(receiver.received).toHaveLength(1);
    expect(await health(partner)).toMatchObject({ disabled: true, pending: 2 });

    const operations = localWebhookOperations(server.platform);
    const status = await runWebhooksCommand(['status', partner.partner_id], operations);
    expect(status).toMatch(new RegExp(`^Endpoint ${receiver.url}/hooks {2}DISABLED \\(gone\\) at \\S+Z {2}2 pending`));
    expect(await runWebhooksCommand(['list', '--partner', partner.partner_id], operations)).toMatch(/^Endpoint .* DISABLED \(gone\)/);
    expect(JSON.parse(await runWebhooksCommand(['status', partner.partner_id, '--json'], operations))).toMatchObject({
      disabled: true,
      disabled_reason: 'gone',
    });

    receiver.respond = answer(204);
    expect(await runWebhooksCommand(['enable', partner.partner_id], operations)).toBe(
      'Enabled; 2 waiting messages will be sent, in order.',
    );
    await drain();
    expect(statuses(receiver)).toEqual([
      [a, 'processing'],
      [a, 'processing'],
      [a, 'completed'],
    ]);
    expect(receiver.received[1]!.id).toBe(kept.id);
    expect(await runWebhooksCommand(['status', partner.partner_id], operations)).toBe(`Endpoint ${receiver.url}/hooks  enabled  0 pending`);
  });

  it('records each attempt’s trigger: scheduled for the schedule, manual for a replay', async () => {
    const { receiver, partner } = await setup(answer(204));
    const a = await newSession(partner);
    await move(a, 'processing');
    await drain();
    const [delivered] = await deliveriesOf(partner);
    receiver.respond = answer(503);
    expect((await admin(`/webhooks/deliveries/${delivered.id}/replay`, 'POST', {})).body).toEqual({ replayed: true });
    await drain();
    receiver.respond = answer(204);
    server.clock.advance(pastRetry(1));
    await drain();
    const shown = (await admin(`/webhooks/deliveries/${delivered.id}`)).body;
    expect(shown.attempts.map((attempt: any) => [attempt.attempt, attempt.trigger, attempt.status_code])).toEqual([
      [1, 'scheduled', 204],
      [1, 'manual', 503],
      [2, 'scheduled', 204],
    ]);
    const cli = JSON.parse(await runWebhooksCommand(['show', delivered.id], localWebhookOperations(server.platform)));
    expect(cli.attempts.map((attempt: any) => attempt.trigger)).toEqual(['scheduled', 'manual', 'scheduled']);
  });

  it('answers 404 for an unknown partner', async () => {
    expectError(await admin('/partners/ptr_doesnotexist/webhook'), 404, 'not_found', 'not_found');
    expectError(await admin('/partners/ptr_doesnotexist/webhook/enable', 'POST', {}), 404, 'not_found', 'not_found');
  });
});
