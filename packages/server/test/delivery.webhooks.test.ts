import type { ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS } from '../src/modules/delivery/retry-schedule.ts';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { ADMIN_TOKEN, expectError, type PartnerCredentials, request } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';
import { answer, type ReceivedHook, startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

/**
 * The outbound webhook against a real local HTTP receiver: Standard Webhooks signatures, one
 * webhook-id per delivery kept across its retries, order per transaction, the retry schedule
 * (driven by moving the clock and draining the worker, never by waiting), every attempt on record,
 * replay, Retry-After, 410, redirects, test events, and that no request waits for a webhook.
 */

const SECOND = 1000;

/** Past the latest moment a retry after failure n can be due (the schedule has ±10 % jitter). */
const pastRetry = (failures: number) => Math.ceil(RETRY_DELAYS_MS[failures - 1]! * 1.1) + SECOND;

describe('outbound webhooks', () => {
  // Each test makes its own receiver and partner (setup); the seeded partner has no webhook_url.
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV });
  const receivers: WebhookReceiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  /** A fresh receiver and a partner whose webhook_url points at it. */
  const setup = async (respond = answer(204)) => {
    const receiver = await startWebhookReceiver({ respond });
    receivers.push(receiver);
    const partner = await server.createPartner({ webhook_url: `${receiver.url}/hooks` });
    return { receiver, partner };
  };
  const newSession = (partner: PartnerCredentials, overrides: Record<string, unknown> = {}) =>
    server.newSession(overrides, { token: partner.client_token });
  const getTransaction = (partner: PartnerCredentials, id: string) => server.getTransaction(id, { token: partner.client_token });
  const admin = (path: string, method = 'GET', body?: unknown) => server.admin(path, { method, body });
  const drain = () => server.background!.webhooks.drain();
  /**
   * Runs every attempt of what is due now through its whole retry schedule (about 75 hours), so a
   * message the receiver keeps refusing ends failed (a 410 would disable the endpoint instead).
   */
  const failForGood = async () => {
    await drain();
    for (let failures = 1; failures < MAX_ATTEMPTS; failures++) {
      server.clock.advance(pastRetry(failures));
      await drain();
    }
  };
  const move = async (id: string, status: string, reason?: string) => {
    const result = await server.sandboxMove(id, status, reason);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    return result.body;
  };
  const deliveriesOf = async (partner: PartnerCredentials, status?: string) => {
    const result = await admin(`/webhooks/deliveries?partner_id=${partner.partner_id}${status ? `&status=${status}` : ''}`);
    expect(result.status).toBe(200);
    // Oldest first; the test clock often stands still between changes, so seq breaks the tie.
    return (result.body.deliveries as any[]).slice().sort((x, y) => Date.parse(x.created_at) - Date.parse(y.created_at) || x.seq - y.seq);
  };
  /** The outbox rows of one transaction, by seq (the clock stands still, so created_at ties). */
  const rowsOf = (merchantTransactionId: string) =>
    server.platform.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('transactions as t', 't.id', 'd.transaction_id')
      .select(['d.id', 'd.seq', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.last_status_code', 'd.last_error'])
      .where('t.merchant_transaction_id', '=', merchantTransactionId)
      .orderBy('d.seq')
      .execute();
  const delivery = async (id: string) => {
    const result = await admin(`/webhooks/deliveries/${id}`);
    expect(result.status).toBe(200);
    return result.body;
  };
  const verify = (partner: PartnerCredentials, hook: ReceivedHook) =>
    new Webhook(partner.webhook_secret).verify(hook.body, hook.headers as Record<string, string>);

  // First: with no failed delivery on this server yet, a replay of all of them replays none.
  it('replay-failed refuses a body that is not {"partner_id"}; without a body it replays every failed delivery (none yet)', async () => {
    for (const body of [[], 'x', { partner_id: 5 }, { partner_id: 'a\u0000b' }, { other: 1 }]) {
      expectError(await admin('/webhooks/replay-failed', 'POST', body), 400, 'invalid_request', 'validation_error');
    }
    const ok = await server.request('/admin/webhooks/replay-failed', { method: 'POST', token: ADMIN_TOKEN });
    expect(ok.body).toEqual({ replayed: 0 });
  });

  it('POSTs the transaction as JSON, signed per Standard Webhooks with the partner secret', async () => {
    server.clock.set(new Date()); // receivers check webhook-timestamp against their own clock
    const { receiver, partner } = await setup();
    const id = await newSession(partner);
    await move(id, 'processing');
    await drain();
    const [hook] = receiver.received;
    expect(receiver.received).toHaveLength(1);

    expect(hook!.path).toBe('/hooks');
    expect(hook!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'ProofRamp-Webhooks/1',
      'webhook-id': expect.stringMatching(/^msg_[0-9A-Za-z]{24}$/),
      'webhook-timestamp': expect.stringMatching(/^\d{10}$/),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
    });
    // Signed with real time (receivers compare it with their own clocks), whatever the platform clock says.
    expect(Math.abs(Number(hook!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
    const now = server.clock.now().toISOString();
    const transaction = (await getTransaction(partner, id)).body;
    expect(hook!.json).toEqual(transaction);
    expect(hook!.json).toEqual({
      merchant_transaction_id: id,
      partner_user_id: 'user-1',
      type: 'buy',
      status: 'processing',
      currency: 'USDT',
      network: 'TRC20',
      crypto_amount: '100',
      fiat_currency: 'EUR',
      fiat_amount: '94.80',
      created_at: now,
      updated_at: now,
    });

    expect(verify(partner, hook!)).toEqual(hook!.json);
    // Any change to the body, the id or the secret breaks the signature.
    const other = await server.createPartner({ name: 'Other Partner' });
    expect(() => verify(other, hook!)).toThrow();
    expect(() =>
      new Webhook(partner.webhook_secret).verify(hook!.body.replace('"100"', '"1000"'), hook!.headers as Record<string, string>),
    ).toThrow();
    expect(() =>
      new Webhook(partner.webhook_secret).verify(hook!.body, { ...hook!.headers, 'webhook-id': 'msg_forged' } as unknown as Record<
        string,
        string
      >),
    ).toThrow();

    const [listed] = await deliveriesOf(partner);
    expect(listed).toMatchObject({
      id: hook!.headers['webhook-id'],
      partner_id: partner.partner_id,
      seq: 2,
      event_type: 'tx.update',
      url: `${receiver.url}/hooks`,
      status: 'delivered',
      attempts: 1,
      last_status_code: 204,
      last_error: null,
    });
    // Showing one adds its payload and every attempt (the list replaces the attempt counter).
    const shown = await delivery(listed.id);
    expect(shown).toMatchObject({ id: listed.id, status: 'delivered', delivered_at: now, payload: transaction, last_status_code: 204 });
    expect(shown.attempts).toEqual([
      { attempt: 1, trigger: 'scheduled', started_at: now, status_code: 204, latency_ms: expect.any(Number), error: null },
    ]);
  });

  it('keeps the order of each transaction and gives every delivery its own webhook-id', async () => {
    const { receiver, partner } = await setup();
    const a = await newSession(partner);
    const b = await newSession(partner, { type: 'sell' });
    const c = await newSession(partner);
    await move(a, 'processing');
    await move(b, 'processing');
    await move(a, 'completed');
    await move(c, 'cancelled');
    await move(b, 'failed', 'payout_failed');
    await drain();
    expect(receiver.forTransaction(a).map((hook) => hook.json.status)).toEqual(['processing', 'completed']);
    expect(receiver.forTransaction(b).map((hook) => [hook.json.status, hook.json.failure_reason])).toEqual([
      ['processing', undefined],
      ['failed', 'payout_failed'],
    ]);
    expect(receiver.forTransaction(c).map((hook) => hook.json.status)).toEqual(['cancelled']);
    const ids = receiver.received.map((hook) => hook.headers['webhook-id']);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
  });

  it('retries a receiver answering 500 on the schedule, holds the later events back, then delivers everything in order', async () => {
    let healthy = false;
    const { receiver, partner } = await setup((_hook, res) => res.writeHead(healthy ? 200 : 500).end(healthy ? 'ok' : 'down'));
    const t1 = await newSession(partner);
    const t2 = await newSession(partner, { type: 'sell' });
    await move(t1, 'processing');
    await move(t1, 'completed');
    await move(t2, 'processing');

    // Attempt 1: only the head of each transaction goes out; t1's "completed" waits behind it.
    const start = server.clock.now().getTime();
    await drain();
    expect(receiver.received.map((hook) => [hook.json.merchant_transaction_id, hook.json.status])).toEqual(
      expect.arrayContaining([
        [t1, 'processing'],
        [t2, 'processing'],
      ]),
    );
    expect(receiver.received).toHaveLength(2);
    const [head1, completed1] = await rowsOf(t1);
    const [head2] = await rowsOf(t2);
    expect([head1!.seq, completed1!.seq, head2!.seq]).toEqual([2, 3, 2]);
    expect(head1).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500, last_error: 'HTTP 500' });
    expect(completed1).toMatchObject({ status: 'pending', attempts: 0, last_status_code: null });
    const retryAt = new Date(head1!.next_attempt_at).getTime() - start;
    expect(retryAt).toBeGreaterThanOrEqual(4_500);
    expect(retryAt).toBeLessThanOrEqual(5_500);

    // Not due before its time.
    server.clock.advance(4 * SECOND);
    await drain();
    expect(receiver.received).toHaveLength(2);

    // Attempts 2 and 3, still failing.
    server.clock.set(new Date(start + pastRetry(1)));
    await drain();
    server.clock.advance(pastRetry(2));
    await drain();
    expect(receiver.received).toHaveLength(6);

    // The receiver recovers: attempt 4 succeeds and the held-back event follows in the same drain.
    healthy = true;
    server.clock.advance(pastRetry(3));
    await drain();
    await move(t2, 'failed', 'payout_failed');
    await drain();

    const t1Hooks = receiver.forTransaction(t1);
    expect(t1Hooks.map((hook) => hook.json.status)).toEqual(['processing', 'processing', 'processing', 'processing', 'completed']);
    // One webhook-id per delivery, the same on every retry of it; each attempt signed with the real time.
    expect(new Set(t1Hooks.slice(0, 4).map((hook) => hook.headers['webhook-id']))).toEqual(new Set([head1!.id]));
    expect(t1Hooks[4]!.headers['webhook-id']).toBe(completed1!.id);
    for (const hook of t1Hooks) expect(Math.abs(Number(hook.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    const t2Hooks = receiver.forTransaction(t2);
    expect(t2Hooks.map((hook) => hook.json.status)).toEqual(['processing', 'processing', 'processing', 'processing', 'failed']);
    expect(t2Hooks.slice(0, 4).every((hook) => hook.headers['webhook-id'] === head2!.id)).toBe(true);
    // De-duplicated by webhook-id, the partner saw each change exactly once, in order, no gaps.
    const unique = (hooks: ReceivedHook[]) => [...new Map(hooks.map((hook) => [hook.headers['webhook-id'], hook.json.status])).values()];
    expect(unique(t1Hooks)).toEqual(['processing', 'completed']);
    expect(unique(t2Hooks)).toEqual(['processing', 'failed']);

    expect((await rowsOf(t1)).map((d) => [d.seq, d.status, d.attempts])).toEqual([
      [2, 'delivered', 4],
      [3, 'delivered', 1],
    ]);
    const shown = await delivery(head1!.id);
    expect(shown).toMatchObject({ status: 'delivered', last_status_code: 200, last_error: null });
    const attempts = shown.attempts as any[];
    expect(attempts.map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 500, 'HTTP 500'],
      [3, 500, 'HTTP 500'],
      [4, 200, null],
    ]);
    for (const attempt of attempts) {
      expect(Number.isInteger(attempt.latency_ms)).toBe(true);
      expect(attempt.latency_ms).toBeGreaterThanOrEqual(0);
      expect(attempt.latency_ms).toBeLessThan(5_000);
    }
    // started_at is platform time: the retries sit on the schedule (5 s, 5 min, 30 min, ±10 %).
    const gaps = attempts.slice(1).map((a, i) => Date.parse(a.started_at) - Date.parse(attempts[i].started_at));
    expect(gaps[0]).toBeGreaterThanOrEqual(4_500);
    expect(gaps[1]).toBeGreaterThanOrEqual(270_000);
    expect(gaps[2]).toBeGreaterThanOrEqual(1_620_000);
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts over about three days (failed), then stays quiet`, async () => {
    const { receiver, partner } = await setup(answer(503));
    const id = await newSession(partner);
    await move(id, 'processing');
    const first = server.clock.now().getTime();
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const before = server.clock.now().getTime();
      await drain();
      expect(receiver.received).toHaveLength(attempt);
      const [row] = await deliveriesOf(partner);
      expect(row.attempts).toBe(attempt);
      if (attempt < MAX_ATTEMPTS) {
        expect(row.status).toBe('pending');
        gaps.push(Date.parse(row.next_attempt_at) - before);
        server.clock.advance(pastRetry(attempt));
      } else {
        expect(row).toMatchObject({ status: 'failed', last_status_code: 503, last_error: 'HTTP 503' });
      }
    }
    // The documented schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h, ±10 %.
    gaps.forEach((gap, index) => {
      expect(gap).toBeGreaterThanOrEqual(Math.floor(RETRY_DELAYS_MS[index]! * 0.9));
      expect(gap).toBeLessThanOrEqual(Math.ceil(RETRY_DELAYS_MS[index]! * 1.1));
    });
    const lastAttempt = Date.parse(
      (await delivery(receiver.received[0]!.headers['webhook-id'] as string)).attempts.at(-1).started_at as string,
    );
    expect((lastAttempt - first) / 3_600_000).toBeGreaterThan(68);
    expect((lastAttempt - first) / 3_600_000).toBeLessThan(84);

    const deliveryId = receiver.received[0]!.headers['webhook-id'] as string;
    expect(receiver.received.every((hook) => hook.headers['webhook-id'] === deliveryId)).toBe(true);
    expect((await delivery(deliveryId)).attempts.map((a: any) => [a.attempt, a.status_code, a.error])).toEqual(
      Array.from({ length: MAX_ATTEMPTS }, (_, i) => [i + 1, 503, 'HTTP 503']),
    );

    server.clock.advance(7 * 86_400_000);
    await drain();
    expect(receiver.received).toHaveLength(MAX_ATTEMPTS);
    expect((await deliveriesOf(partner, 'failed')).map((d) => d.id)).toEqual([deliveryId]);

    // The operator replays it once the partner is fixed: same webhook-id, delivered.
    receiver.respond = answer(204);
    const replay = await admin(`/webhooks/deliveries/${deliveryId}/replay`, 'POST', {});
    expect(replay).toMatchObject({ status: 200, body: { replayed: true } });
    await drain();
    expect(receiver.received).toHaveLength(MAX_ATTEMPTS + 1);
    expect(receiver.received.at(-1)!.headers['webhook-id']).toBe(deliveryId);
    expect(receiver.received.at(-1)!.json).toMatchObject({ merchant_transaction_id: id, status: 'processing' });
    // The replay starts a fresh round of attempts; the history keeps every one.
    expect((await deliveriesOf(partner))[0]).toMatchObject({
      id: deliveryId,
      status: 'delivered',
      attempts: 1,
      last_status_code: 204,
      last_error: null,
    });
    const history = (await delivery(deliveryId)).attempts as any[];
    expect(history.map((a) => [a.attempt, a.status_code])).toEqual([
      ...Array.from({ length: MAX_ATTEMPTS }, (_, i) => [i + 1, 503]),
      [1, 204],
    ]);
  });

  it('replays one delivery (even a delivered one) and every failed one, per partner or all', async () => {
    const refused = answer(503);
    const one = await setup(refused);
    const two = await setup(refused);
    const a = await newSession(one.partner);
    const b = await newSession(one.partner);
    const c = await newSession(two.partner);
    await move(a, 'processing');
    await move(b, 'cancelled');
    await move(c, 'processing');
    await failForGood();
    expect((await deliveriesOf(one.partner, 'failed')).map((d) => d.seq)).toEqual([2, 2]);
    expect(await deliveriesOf(two.partner, 'failed')).toHaveLength(1);
    one.receiver.received.length = 0;
    two.receiver.received.length = 0;

    one.receiver.respond = answer(200);
    two.receiver.respond = answer(200);
    const mine = await admin('/webhooks/replay-failed', 'POST', { partner_id: one.partner.partner_id });
    expect(mine).toMatchObject({ status: 200, body: { replayed: 2 } });
    await drain();
    expect(one.receiver.received.map((hook) => [hook.json.merchant_transaction_id, hook.json.status])).toEqual(
      expect.arrayContaining([
        [a, 'processing'],
        [b, 'cancelled'],
      ]),
    );
    expect(one.receiver.received).toHaveLength(2);
    expect(two.receiver.received).toHaveLength(0);
    expect(await deliveriesOf(one.partner, 'delivered')).toHaveLength(2);
    expect(await deliveriesOf(two.partner, 'failed')).toHaveLength(1);

    // Without a partner: every failed delivery of every partner (only partner two's is left).
    const all = await admin('/webhooks/replay-failed', 'POST');
    expect(all.body).toEqual({ replayed: 1 });
    await drain();
    expect(two.receiver.received.map((hook) => hook.json.status)).toEqual(['processing']);
    expect(await admin('/webhooks/replay-failed', 'POST', {})).toMatchObject({ body: { replayed: 0 } });

    // A single replay sends even a delivered delivery again, under the same id.
    const [delivered] = await deliveriesOf(two.partner, 'delivered');
    expect((await admin(`/webhooks/deliveries/${delivered.id}/replay`, 'POST', {})).body).toEqual({ replayed: true });
    // While it is pending, replaying it again changes nothing.
    expect((await admin(`/webhooks/deliveries/${delivered.id}/replay`, 'POST', {})).body).toEqual({ replayed: false });
    await drain();
    expect(two.receiver.received.map((hook) => hook.headers['webhook-id'])).toEqual([delivered.id, delivered.id]);
    expectError(await admin('/webhooks/deliveries/msg_doesnotexist/replay', 'POST', {}), 404, 'not_found', 'not_found');
    expectError(await admin('/webhooks/deliveries/msg_doesnotexist'), 404, 'not_found', 'not_found');
  });

  it("a replay goes to the partner's current webhook_url (the partner fixed its endpoint)", async () => {
    const old = await setup(answer(503));
    const id = await newSession(old.partner);
    await move(id, 'processing');
    await failForGood();
    const [failed] = await deliveriesOf(old.partner, 'failed');
    expect(failed.url).toBe(`${old.receiver.url}/hooks`);

    const fixed = await startWebhookReceiver();
    receivers.push(fixed);
    const patched = await admin(`/partners/${old.partner.partner_id}`, 'PATCH', { webhook_url: `${fixed.url}/v2/hooks` });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect((await admin(`/webhooks/deliveries/${failed.id}/replay`, 'POST', {})).body).toEqual({ replayed: true });
    await drain();
    expect(old.receiver.received).toHaveLength(MAX_ATTEMPTS);
    expect(fixed.received.map((hook) => [hook.path, hook.headers['webhook-id'], hook.json.status])).toEqual([
      ['/v2/hooks', failed.id, 'processing'],
    ]);
    expect(await delivery(failed.id)).toMatchObject({ url: `${fixed.url}/v2/hooks`, status: 'delivered' });
    // New events go there too.
    await move(id, 'completed');
    await drain();
    expect(fixed.forTransaction(id).map((hook) => hook.json.status)).toEqual(['processing', 'completed']);
  });

  it.each([
    ['seconds', '120', 120 * SECOND],
    ['an HTTP date', 'date+600', 600 * SECOND],
  ] as const)('respects Retry-After given in %s on 429 (longer than the schedule would wait)', async (_form, header, waitMs) => {
    let limited = true;
    let sent = '';
    const { receiver, partner } = await setup((_hook, res) => {
      if (!limited) return res.writeHead(204).end();
      sent = header === 'date+600' ? new Date(server.clock.now().getTime() + 600 * SECOND).toUTCString() : header;
      res.writeHead(429, { 'retry-after': sent }).end();
    });
    const id = await newSession(partner);
    await move(id, 'processing');
    const before = server.clock.now().getTime();
    await drain();
    const [row] = await deliveriesOf(partner);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 429, last_error: 'HTTP 429' });
    // An HTTP date has whole seconds: the wait is to that second exactly.
    const expected = header === 'date+600' ? Date.parse(sent) - before : waitMs;
    expect(expected).toBeGreaterThan(waitMs - SECOND);
    expect(Date.parse(row.next_attempt_at) - before).toBe(expected);

    // The 5-second retry the schedule alone would make does not happen.
    server.clock.advance(expected - 10 * SECOND);
    await drain();
    expect(receiver.received).toHaveLength(1);
    limited = false;
    server.clock.advance(10 * SECOND);
    await drain();
    expect(receiver.forTransaction(id)).toHaveLength(2);
    expect((await deliveriesOf(partner))[0]).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 204 });
  });

  it('stops at 410 Gone: the endpoint is disabled, the message and later events kept, never retried until it is enabled', async () => {
    const { receiver, partner } = await setup(answer(410));
    const id = await newSession(partner);
    await move(id, 'processing');
    await drain();
    server.clock.advance(3 * 86_400_000);
    await move(id, 'completed');
    await drain();
    expect(receiver.received).toHaveLength(1);
    const [row, later] = await deliveriesOf(partner);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 410, last_error: 'HTTP 410' });
    expect(later).toMatchObject({ status: 'pending', attempts: 0 });
    receiver.respond = answer(204);
    expect((await admin(`/partners/${partner.partner_id}/webhook/enable`, 'POST', {})).body).toMatchObject({ released: 2 });
    await drain();
    expect(receiver.forTransaction(id).map((hook) => hook.json.status)).toEqual(['processing', 'processing', 'completed']);
  });

  it('does not follow a redirect: a 302 is a failed attempt, retried later', async () => {
    const { receiver, partner } = await setup((hook, res) => {
      if (hook.path === '/hooks') res.writeHead(302, { location: `${receiver.url}/elsewhere` }).end();
      else res.writeHead(204).end();
    });
    const id = await newSession(partner);
    await move(id, 'processing');
    await drain();
    expect(receiver.received.map((hook) => hook.path)).toEqual(['/hooks']);
    const [row] = await deliveriesOf(partner);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 302, last_error: 'HTTP 302' });
    server.clock.advance(pastRetry(1));
    await drain();
    expect(receiver.received.map((hook) => hook.path)).toEqual(['/hooks', '/hooks']);
    receiver.respond = answer(204);
    server.clock.advance(pastRetry(2));
    await drain();
    expect((await delivery(row.id)).attempts.map((a: any) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 302, 'HTTP 302'],
      [2, 302, 'HTTP 302'],
      [3, 204, null],
    ]);
  });

  it('records a receiver that refuses connections, and delivers once it is back', async () => {
    const { receiver, partner } = await setup();
    const url = `${receiver.url}/hooks`;
    await receiver.close();
    const id = await newSession(partner);
    await move(id, 'processing');
    await drain();
    const [row] = await deliveriesOf(partner);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null, url });
    expect(row.last_error).toMatch(/^ECONNREFUSED: /);
    const back = await startWebhookReceiver({ port: Number(new URL(url).port) });
    receivers.push(back);
    server.clock.advance(pastRetry(1));
    await drain();
    expect(back.forTransaction(id).map((hook) => hook.json.status)).toEqual(['processing']);
    expect((await delivery(row.id)).attempts.map((a: any) => [a.attempt, a.status_code])).toEqual([
      [1, null],
      [2, 204],
    ]);
  });

  it('sends a signed test event on request (202 + delivery id)', async () => {
    server.clock.set(new Date());
    const { receiver, partner } = await setup();
    const result = await admin(`/partners/${partner.partner_id}/webhooks/test`, 'POST', {});
    expect(result.status).toBe(202);
    expect(result.body).toEqual({ delivery_id: expect.stringMatching(/^msg_[0-9A-Za-z]{24}$/) });
    await drain();
    expect(receiver.received).toHaveLength(1);
    const [hook] = receiver.received;
    expect(hook!.headers['webhook-id']).toBe(result.body.delivery_id);
    expect(hook!.json).toEqual({
      event: 'test',
      test_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      message: 'Test event from Proof Ramp',
      created_at: server.clock.now().toISOString(),
    });
    expect(verify(partner, hook!)).toEqual(hook!.json);
    expect(await delivery(result.body.delivery_id)).toMatchObject({
      event_type: 'test',
      transaction_id: null,
      seq: 0,
      status: 'delivered',
      attempts: [{ attempt: 1, status_code: 204, error: null }],
    });

    const silent = await server.createPartner({ name: 'No Webhook' });
    const refused = expectError(
      await admin(`/partners/${silent.partner_id}/webhooks/test`, 'POST', {}),
      400,
      'invalid_request',
      'validation_error',
    );
    expect(refused.details).toEqual([{ field: 'webhook_url', issue: 'is not set' }]);
    expectError(await admin('/partners/ptr_doesnotexist/webhooks/test', 'POST', {}), 404, 'not_found', 'not_found');
  });

  it('a partner without webhook_url gets no outbox rows at all', async () => {
    const silent = await server.createPartner({ name: 'Quiet Partner' });
    const id = await newSession(silent);
    await move(id, 'processing');
    expect(await deliveriesOf(silent)).toEqual([]);
  });

  it('never makes a request wait: the status call answers while the receiver still holds the webhook', async () => {
    const held: ServerResponse[] = [];
    const { receiver, partner } = await setup((_hook, res) => held.push(res));
    const id = await newSession(partner);
    // The background worker is woken by the change and sends at once; the receiver does not answer.
    const moved = await move(id, 'processing');
    expect(moved.status).toBe('processing');
    await receiver.waitFor(1);
    expect(held).toHaveLength(1);
    // More changes go through while the first webhook is still in flight.
    const completed = await move(id, 'completed');
    expect(completed.status).toBe('completed');
    expect((await getTransaction(partner, id)).body.status).toBe('completed');
    const rows = await deliveriesOf(partner);
    expect(rows.map((d) => [d.seq, d.status, d.attempts])).toEqual([
      [2, 'pending', 1],
      [3, 'pending', 0],
    ]);
    expect((await delivery(rows[0].id)).attempts).toEqual([]); // the attempt is still in flight
    held[0]!.writeHead(204).end();
    held.length = 0;
    receiver.respond = answer(204);
    await drain();
    expect(receiver.forTransaction(id).map((hook) => hook.json.status)).toEqual(['processing', 'completed']);
  });

  it('the delivery admin API needs the admin token and validates its filters', async () => {
    expectError(await request(`${server.url}/admin/webhooks/deliveries`), 401, 'unauthorised', 'missing_token');
    const partner = await server.createPartner({ name: 'Token Holder' });
    expectError(
      await request(`${server.url}/admin/webhooks/deliveries`, { token: partner.client_token }),
      401,
      'unauthorised',
      'invalid_token',
    );
    // Two failed deliveries of its own, so the test also runs alone.
    const refusing = await setup(answer(503));
    await move(await newSession(refusing.partner), 'processing');
    await move(await newSession(refusing.partner), 'processing');
    await failForGood();
    const bad = await admin('/webhooks/deliveries?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
    const limited = await admin('/webhooks/deliveries?limit=2');
    expect(limited.body.deliveries).toHaveLength(2);
    const failed = await admin('/webhooks/deliveries?status=failed');
    expect(failed.body.deliveries.length).toBeGreaterThan(0);
    expect(failed.body.deliveries.every((d: any) => d.status === 'failed')).toBe(true);
    // Listing never returns payloads; showing one does.
    expect(failed.body.deliveries[0]).not.toHaveProperty('payload');
  });
});
