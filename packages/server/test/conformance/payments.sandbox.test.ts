import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import type { PaymentSource } from '../../src/modules/payments/payment-source.ts';
import {
  type OutgoingCallback,
  SANDBOX_CARDS,
  SANDBOX_CHALLENGE_CODE,
  SANDBOX_SIGNATURE_HEADER,
  SANDBOX_TOKENS,
  SandboxPaymentProvider,
  signSandboxPaymentCallback,
} from '../../src/modules/payments/sandbox-payment-provider.ts';
import { logCollector } from '../helpers/log-collector.ts';
import { answer, startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { describePaymentProvider, type PaymentScenario } from './payments.ts';
import { callbackRequest } from './signed-callbacks.ts';

const card = (number: string): PaymentSource => ({ method: 'card', card: { number, expiry_month: 12, expiry_year: 2030, cvc: '123' } });

/** The test cards and tokens of docs/sandbox.md ("Payments"), each with what it yields. */
const scenarios: PaymentScenario[] = [
  { name: 'Visa 4242 succeeds', source: card(SANDBOX_CARDS.success), answer: 'pending', callbacks: [{ outcome: 'captured' }] },
  {
    name: 'Mastercard 4444 succeeds',
    source: card(SANDBOX_CARDS.successMastercard),
    answer: 'pending',
    callbacks: [{ outcome: 'captured' }],
  },
  {
    name: 'insufficient funds',
    source: card(SANDBOX_CARDS.insufficientFunds),
    answer: 'pending',
    callbacks: [{ outcome: 'declined', reason: 'insufficient_funds' }],
  },
  {
    name: 'declined',
    source: card(SANDBOX_CARDS.declined),
    answer: 'pending',
    callbacks: [{ outcome: 'declined', reason: 'card_declined' }],
  },
  {
    name: 'challenge answered with the code',
    source: card(SANDBOX_CARDS.challenge),
    answer: 'requires_action',
    challengeAnswer: SANDBOX_CHALLENGE_CODE,
    callbacks: [{ outcome: 'captured' }],
  },
  {
    name: 'challenge answered wrongly',
    source: card(SANDBOX_CARDS.challenge),
    answer: 'requires_action',
    challengeAnswer: '000000',
    callbacks: [{ outcome: 'failed', reason: 'three_ds_failed' }],
  },
  {
    name: '3-D Secure fails whatever the answer',
    source: card(SANDBOX_CARDS.challengeFails),
    answer: 'requires_action',
    challengeAnswer: SANDBOX_CHALLENGE_CODE,
    callbacks: [{ outcome: 'failed', reason: 'three_ds_failed' }],
  },
  {
    name: 'duplicate callbacks',
    source: card(SANDBOX_CARDS.duplicateCallbacks),
    answer: 'pending',
    callbacks: [{ outcome: 'captured' }, { outcome: 'captured', repeats: 0 }],
  },
  {
    name: 'refunded before the capture is reported',
    source: card(SANDBOX_CARDS.refundedBeforeCapture),
    answer: 'pending',
    callbacks: [{ outcome: 'refunded', reason: 'reversed_by_provider' }, { outcome: 'captured' }],
  },
  { name: 'a card outside the table', source: card('4111111111111111'), answer: 'declined', reason: 'card_not_supported', callbacks: [] },
  {
    name: 'Apple Pay success token',
    source: { method: 'apple_pay', token: SANDBOX_TOKENS.success },
    answer: 'pending',
    callbacks: [{ outcome: 'captured' }],
  },
  {
    name: 'Google Pay declined token',
    source: { method: 'google_pay', token: SANDBOX_TOKENS.declined },
    answer: 'pending',
    callbacks: [{ outcome: 'declined', reason: 'card_declined' }],
  },
  {
    name: 'an unknown token',
    source: { method: 'google_pay', token: 'tok_real_looking' },
    answer: 'declined',
    reason: 'invalid_token',
    callbacks: [],
  },
];

const signingKey = randomBytes(32);
const EUR = { amountMinor: 9480n, currency: 'EUR' };

describePaymentProvider('sandbox', ({ callbackUrl, clock }) => new SandboxPaymentProvider({ signingKey, callbackUrl, clock, delayMs: 0 }), {
  scenarios,
  unavailable: card(SANDBOX_CARDS.timeout),
  captured: card(SANDBOX_CARDS.success),
});

/** An adapter whose callbacks land in a list instead of going over HTTP. */
function captured(options: { delayMs?: number; clock?: ManualClock } = {}) {
  const sent: OutgoingCallback[] = [];
  const clock = options.clock ?? new ManualClock(new Date('2026-11-21T12:00:00Z'));
  const sandbox = new SandboxPaymentProvider({
    signingKey,
    callbackUrl: () => 'http://platform.test/providers/sandbox-payments/callbacks',
    clock,
    delayMs: options.delayMs ?? 0,
    send: async (callback) => {
      sent.push(callback);
    },
  });
  return { sandbox, sent, clock };
}

describe('sandbox-payments specifics', () => {
  it('documents every test card and token in docs/sandbox.md', () => {
    const docs = readFileSync(join(import.meta.dirname, '../../../../docs/sandbox.md'), 'utf8');
    for (const number of Object.values(SANDBOX_CARDS)) expect(docs, number).toContain(number.replace(/(\d{4})(?=\d)/g, '$1 '));
    for (const token of Object.values(SANDBOX_TOKENS)) expect(docs).toContain(token);
    expect(docs).toContain(SANDBOX_CHALLENGE_CODE);
    expect(docs).toContain(SANDBOX_SIGNATURE_HEADER);
  });

  it('signs t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> at the clock’s time, after the delay, to the URL read at send time', async () => {
    let base = 'http://first.test';
    const sent: OutgoingCallback[] = [];
    const clock = new ManualClock(new Date('2026-11-21T12:00:00Z'));
    const sandbox = new SandboxPaymentProvider({
      signingKey,
      callbackUrl: () => `${base}/providers/sandbox-payments/callbacks`,
      clock,
      delayMs: 50,
      send: async (callback) => {
        sent.push(callback);
      },
    });
    const started = Date.now();
    const answered = await sandbox.authorize({ reference: 'pay_0123456789abcdefghij', ...EUR, source: card(SANDBOX_CARDS.success) });
    base = 'http://second.test';
    expect(sent).toHaveLength(0);
    await sandbox.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    const [callback] = sent;
    expect(callback!.url).toBe('http://second.test/providers/sandbox-payments/callbacks');
    const expected = createHmac('sha256', signingKey).update(`1795262400.${callback!.body}`).digest('hex');
    expect(callback!.headers[SANDBOX_SIGNATURE_HEADER]).toBe(`t=1795262400,v1=${expected}`);
    expect(signSandboxPaymentCallback(signingKey, 1795262400, callback!.body)).toBe(`t=1795262400,v1=${expected}`);
    expect(JSON.parse(callback!.body)).toEqual({
      id: expect.stringMatching(/^sbevt_[A-Za-z0-9_-]{24}$/),
      type: 'payment.captured',
      created: 1795262400,
      data: { payment: answered.providerPaymentId, reference: 'pay_0123456789abcdefghij', method: 'card' },
    });
    // Another deployment's key does not verify it.
    const other = new SandboxPaymentProvider({ signingKey: randomBytes(32), callbackUrl: () => '', clock, delayMs: 0 });
    const request = { rawBody: Buffer.from(callback!.body), headers: callback!.headers };
    expect(() => other.verifyCallback(request)).toThrow('the signature does not match');
    expect(sandbox.verifyCallback(request)).toEqual({
      kind: 'payment.update',
      eventId: JSON.parse(callback!.body).id,
      providerPaymentId: answered.providerPaymentId,
      outcome: 'captured',
      paymentMethod: 'card',
      reference: 'pay_0123456789abcdefghij',
    });
  });

  it('never puts card details in a callback', async () => {
    const { sandbox, sent } = captured();
    const source: PaymentSource = {
      method: 'card',
      card: { number: SANDBOX_CARDS.insufficientFunds, expiry_month: 7, expiry_year: 2031, cvc: '987', holder_name: 'Ada Lovelace' },
    };
    await sandbox.authorize({ reference: 'pay_nocard0123456789abc', ...EUR, source });
    await sandbox.idle();
    expect(sent.length).toBeGreaterThan(0);
    // Random ids and the signature (a MAC of the body) may hold any run of digits by chance, so they
    // are blanked; everything else the callback carries is searched.
    const text = JSON.stringify(
      sent.map(({ url, headers, body }) => {
        const { id: _id, data, ...event } = JSON.parse(body);
        return { url, headers: { ...headers, 'proof-sandbox-signature': '' }, event, data: { ...data, payment: '' } };
      }),
    );
    expect(text).toContain('insufficient_funds');
    for (const secret of [SANDBOX_CARDS.insufficientFunds, '9995', '987', '2031', 'Lovelace']) expect(text).not.toContain(secret);
  });

  it('refuses a validly signed callback that is not one of its events', () => {
    const { sandbox, clock } = captured();
    const send = (body: string) => {
      const headers = {
        [SANDBOX_SIGNATURE_HEADER]: signSandboxPaymentCallback(signingKey, Math.floor(clock.now().getTime() / 1000), body),
      };
      return () => sandbox.verifyCallback({ rawBody: Buffer.from(body), headers });
    };
    expect(send('not json')).toThrow('the body is not JSON');
    expect(send('{"id":"sbevt_0123456789","type":"payment.stolen","data":{}}')).toThrow('unknown event type');
    expect(
      send('{"id":"sbevt_0123456789","type":"payment.captured","data":{"payment":"pi_123","reference":"pay_1","method":"card"}}'),
    ).toThrow('no payment id');
    expect(send('{"type":"payment.captured"}')).toThrow('no event id');
    expect(() => sandbox.verifyCallback({ rawBody: Buffer.from('{}'), headers: { [SANDBOX_SIGNATURE_HEADER]: 'v1=abc' } })).toThrow(
      't=<unix seconds>,v1=<hex>',
    );
  });

  it('answers a challenge only for a payment that asked for one, and refunds only what it captured', async () => {
    const { sandbox } = captured();
    const plain = await sandbox.authorize({ reference: 'pay_plain0123456789abcd', ...EUR, source: card(SANDBOX_CARDS.success) });
    const challenge = sandbox.answerChallenge({
      providerPaymentId: plain.providerPaymentId,
      reference: 'pay_plain0123456789abcd',
      answer: '1',
    });
    await expect(challenge).rejects.toMatchObject({ kind: 'rejected', provider: 'sandbox-payments' });
    const declined = await sandbox.authorize({
      reference: 'pay_declined0123456789',
      ...EUR,
      source: card(SANDBOX_CARDS.insufficientFunds),
    });
    const refund = sandbox.refund({
      providerPaymentId: declined.providerPaymentId,
      reference: 'pay_declined0123456789',
      idempotencyKey: 'k',
      ...EUR,
      reason: 'delivery_failed',
    });
    await expect(refund).rejects.toBeInstanceOf(ProviderError);
    const unknown = sandbox.refund({ providerPaymentId: 'pi_123', reference: 'x', idempotencyKey: 'k', ...EUR, reason: 'r' });
    await expect(unknown).rejects.toMatchObject({ kind: 'rejected', message: 'no such sandbox payment' });
    await expect(
      sandbox.authorize({ reference: 'pay_zero', amountMinor: 0n, currency: 'EUR', source: card(SANDBOX_CARDS.success) }),
    ).rejects.toMatchObject({ kind: 'rejected' });
    await sandbox.idle();
  });

  it('sends a refund’s callback twice for the duplicate-callbacks card, with one event id', async () => {
    const { sandbox, sent } = captured();
    const paid = await sandbox.authorize({ reference: 'pay_dup0123456789abcdef', ...EUR, source: card(SANDBOX_CARDS.duplicateCallbacks) });
    await sandbox.refund({
      providerPaymentId: paid.providerPaymentId,
      reference: 'pay_dup0123456789abcdef',
      idempotencyKey: 'pay_dup:refund',
      ...EUR,
      reason: 'delivery_failed',
    });
    await sandbox.idle();
    const events = sent.map((callback) => sandbox.verifyCallback({ rawBody: Buffer.from(callback.body), headers: callback.headers }));
    expect(events.map((event) => event.outcome)).toEqual(['captured', 'captured', 'refunded', 'refunded']);
    expect(events[0]!.eventId).toBe(events[1]!.eventId);
    expect(events[2]!.eventId).toBe(events[3]!.eventId);
    expect(events[2]!.reason).toBe('delivery_failed');
  });

  it('retries a callback that was not accepted, and warns without card details', async () => {
    const receiver = await startWebhookReceiver({ respond: answer((hook) => (hook.n === 1 ? 503 : 204)) });
    const { lines, logger } = logCollector('debug');
    const sandbox = new SandboxPaymentProvider({
      signingKey,
      callbackUrl: () => `${receiver.url}/cb`,
      clock: new ManualClock(),
      delayMs: 0,
      logger,
      retryDelaysMs: [10, 10],
    });
    try {
      await sandbox.authorize({ reference: 'pay_retry0123456789abcd', ...EUR, source: card(SANDBOX_CARDS.success) });
      await sandbox.idle();
      expect(receiver.received.map((hook) => hook.answered)).toEqual([503, 204]);
      expect(JSON.parse(receiver.received[0]!.body).id).toBe(JSON.parse(receiver.received[1]!.body).id);
      // Re-signed for its own moment, and it verifies.
      expect(() => sandbox.verifyCallback(callbackRequest(receiver.received[1]!))).not.toThrow();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 40, provider: 'sandbox-payments', attempt: 1, retryInMs: 10, error: 'Error: answered 503' });
      expect(JSON.stringify(lines)).not.toContain('4242');
    } finally {
      await receiver.close();
    }
  });

  it('gives up after its retries with a warning, when nobody answers', async () => {
    const receiver = await startWebhookReceiver();
    const url = `${receiver.url}/cb`;
    await receiver.close();
    const { lines, logger } = logCollector('warn');
    const sandbox = new SandboxPaymentProvider({
      signingKey,
      callbackUrl: () => url,
      clock: new ManualClock(),
      delayMs: 0,
      logger,
      retryDelaysMs: [5],
    });
    await sandbox.authorize({ reference: 'pay_gone0123456789abcde', ...EUR, source: card(SANDBOX_CARDS.success) });
    await sandbox.idle();
    expect(lines.map((line) => line.msg)).toEqual([
      'sandbox payment callback failed; retrying',
      'sandbox payment callback given up: its outcome never arrives',
    ]);
  });

  it('drops callbacks not sent yet when closed', async () => {
    const { sandbox, sent } = captured({ delayMs: 60_000 });
    await sandbox.authorize({ reference: 'pay_closed0123456789abc', ...EUR, source: card(SANDBOX_CARDS.success) });
    sandbox.close();
    await sandbox.idle();
    expect(sent).toEqual([]);
  });
});
