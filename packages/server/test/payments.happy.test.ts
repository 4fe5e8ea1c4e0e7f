import { describe, expect, it } from 'vitest';
import {
  answerChallenge,
  applyPaymentUpdate,
  getPaymentState,
  refundPayment,
  startPayment,
} from '../src/modules/payments/payment-service.ts';
import { SANDBOX_CARDS, SANDBOX_CHALLENGE_CODE, SANDBOX_TOKENS } from '../src/modules/payments/sandbox-payment-provider.ts';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { attemptsOf, card, historyOf, settle } from './helpers/payments-kit.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Paying a buy through the payments module's service functions, with the platform's own sandbox
 * provider: its callbacks travel over real HTTP to POST /providers/sandbox-payments/callbacks, the
 * inbox stores them and the callbacks worker applies them. The partner sees the result at
 * GET /widget/transactions/{id}: processing with its payment_method. Declined and failed attempts
 * leave the transaction pending for another try on the same transaction, each attempt with its own
 * provider id; duplicate and reordered callbacks change nothing twice.
 */

describe('paying a buy', () => {
  const server = useServerWithPartner({ background: true, webhookReceiver: true, env: { ...DELIVERY_ENV, SANDBOX_PAYMENT_DELAY: '0' } });
  const who = async (overrides: Record<string, unknown> = {}) => ({
    partnerId: server.partner.partner_id,
    merchantTransactionId: await server.newSession(overrides),
  });

  it('a card is authorised at the quote, captured by callback: processing with payment_method card', async () => {
    const tx = await who();
    const started = await startPayment(server.platform, { ...tx, source: card('4242 4242 4242 4242') });
    expect(started).toEqual({
      attempts_used: 1,
      attempts_left: 4,
      max_attempts: 5,
      can_start: false,
      current: {
        attempt_id: expect.stringMatching(/^pay_[0-9A-Za-z]{20}$/),
        status: 'pending',
        method: 'card',
        card: { brand: 'visa', last4: '4242' },
      },
    });
    expect((await server.getTransaction(tx.merchantTransactionId)).body.status).toBe('pending');

    await settle(server);
    const read = await server.getTransaction(tx.merchantTransactionId);
    expect(read.body).toMatchObject({
      status: 'processing',
      payment_method: 'card',
      fiat_amount: '94.80',
      fiat_currency: 'EUR',
      crypto_amount: '100',
    });
    expect(await getPaymentState(server.platform, tx)).toEqual({
      ...started,
      can_start: false,
      current: { ...started.current, status: 'captured' },
    });

    const [attempt] = await attemptsOf(server, tx.merchantTransactionId);
    expect(attempt).toMatchObject({
      id: started.current!.attempt_id,
      number: 1,
      provider: 'sandbox-payments',
      provider_payment_id: expect.stringMatching(/^sbpay_cS_/),
      method: 'card',
      card_brand: 'visa',
      card_last4: '4242',
      amount_minor: '9480',
      fiat_currency: 'EUR',
      status: 'captured',
      pays_transaction: true,
      decline_reason: null,
    });
    const { events, webhooks } = await historyOf(server, tx.merchantTransactionId);
    expect(events).toEqual([{ seq: expect.any(Number), status: 'processing', reason: 'payment_captured' }]);
    expect(webhooks.map((webhook) => webhook.payload)).toEqual([expect.objectContaining({ status: 'processing', payment_method: 'card' })]);
    // It came the real way: a signed callback, stored by the inbox and applied by the worker.
    const stored = await server.platform.db.selectFrom('provider_events').select(['provider', 'kind', 'status']).execute();
    expect(stored).toContainEqual({ provider: 'sandbox-payments', kind: 'payment.update', status: 'applied' });
  });

  it('declined for insufficient funds, then paid on the same transaction: two attempts, two provider ids', async () => {
    const tx = await who();
    await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.insufficientFunds) });
    await settle(server);
    const declined = await getPaymentState(server.platform, tx);
    expect(declined).toMatchObject({
      attempts_used: 1,
      attempts_left: 4,
      can_start: true,
      current: { status: 'declined', decline_reason: 'insufficient_funds', card: { brand: 'visa', last4: '9995' } },
    });
    expect((await server.getTransaction(tx.merchantTransactionId)).body.status).toBe('pending');
    expect((await historyOf(server, tx.merchantTransactionId)).events).toEqual([]);

    const retried = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.successMastercard) });
    expect(retried).toMatchObject({
      attempts_used: 2,
      attempts_left: 3,
      current: { status: 'pending', card: { brand: 'mastercard', last4: '4444' } },
    });
    await settle(server);
    expect((await server.getTransaction(tx.merchantTransactionId)).body).toMatchObject({ status: 'processing', payment_method: 'card' });

    const attempts = await attemptsOf(server, tx.merchantTransactionId);
    expect(attempts.map((attempt) => [attempt.number, attempt.status, attempt.decline_reason, attempt.pays_transaction])).toEqual([
      [1, 'declined', 'insufficient_funds', false],
      [2, 'captured', null, true],
    ]);
    expect(new Set(attempts.map((attempt) => attempt.provider_payment_id)).size).toBe(2);
    expect(new Set(attempts.map((attempt) => attempt.id)).size).toBe(2);
  });

  it('3-D Secure: the challenge is shown, a failed challenge allows a retry, the right code pays', async () => {
    const tx = await who();
    const challenged = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.challengeFails) });
    expect(challenged.current).toEqual({
      attempt_id: expect.any(String),
      status: 'requires_action',
      method: 'card',
      card: { brand: 'visa', last4: '3063' },
      challenge: { kind: 'three_ds', prompt: expect.stringContaining(SANDBOX_CHALLENGE_CODE) },
    });
    const answered = await answerChallenge(server.platform, {
      ...tx,
      attemptId: challenged.current!.attempt_id,
      answer: SANDBOX_CHALLENGE_CODE,
    });
    expect(answered.current).toMatchObject({ status: 'pending' });
    expect(answered.current).not.toHaveProperty('challenge');
    await settle(server);
    expect(await getPaymentState(server.platform, tx)).toMatchObject({
      attempts_used: 1,
      can_start: true,
      current: { status: 'failed', decline_reason: 'three_ds_failed' },
    });

    const second = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.challenge) });
    expect(second.current!.status).toBe('requires_action');
    await answerChallenge(server.platform, { ...tx, attemptId: second.current!.attempt_id, answer: SANDBOX_CHALLENGE_CODE });
    await settle(server);
    expect((await server.getTransaction(tx.merchantTransactionId)).body).toMatchObject({ status: 'processing', payment_method: 'card' });
    expect((await getPaymentState(server.platform, tx)).current).toMatchObject({
      status: 'captured',
      attempt_id: second.current!.attempt_id,
    });
  });

  it('a wrong challenge code fails the attempt (three_ds_failed)', async () => {
    const tx = await who();
    const challenged = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.challenge) });
    await answerChallenge(server.platform, { ...tx, attemptId: challenged.current!.attempt_id, answer: '654321' });
    await settle(server);
    expect((await getPaymentState(server.platform, tx)).current).toMatchObject({ status: 'failed', decline_reason: 'three_ds_failed' });
    expect((await server.getTransaction(tx.merchantTransactionId)).body.status).toBe('pending');
  });

  it('Apple Pay and Google Pay tokens: payment_method apple_pay / google_pay, a declined token allows a retry', async () => {
    const apple = await who();
    const started = await startPayment(server.platform, { ...apple, source: { method: 'apple_pay', token: SANDBOX_TOKENS.success } });
    expect(started.current).toEqual({ attempt_id: expect.any(String), status: 'pending', method: 'apple_pay' });
    await settle(server);
    expect((await server.getTransaction(apple.merchantTransactionId)).body).toMatchObject({
      status: 'processing',
      payment_method: 'apple_pay',
    });

    const google = await who();
    await startPayment(server.platform, { ...google, source: { method: 'google_pay', token: SANDBOX_TOKENS.declined } });
    await settle(server);
    expect((await getPaymentState(server.platform, google)).current).toMatchObject({ status: 'declined', decline_reason: 'card_declined' });
    await startPayment(server.platform, { ...google, source: { method: 'google_pay', token: SANDBOX_TOKENS.success } });
    await settle(server);
    expect((await server.getTransaction(google.merchantTransactionId)).body).toMatchObject({
      status: 'processing',
      payment_method: 'google_pay',
    });
  });

  it('a card outside the test table is declined at once (card_not_supported), with no callback', async () => {
    const tx = await who();
    const state = await startPayment(server.platform, { ...tx, source: card('4111 1111 1111 1111') });
    expect(state).toMatchObject({
      attempts_used: 1,
      can_start: true,
      current: { status: 'declined', decline_reason: 'card_not_supported' },
    });
  });

  it('a callback delivered twice is stored once and changes the transaction once', async () => {
    const tx = await who();
    await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.duplicateCallbacks) });
    await settle(server);
    const { id, events, webhooks } = await historyOf(server, tx.merchantTransactionId);
    expect(events).toEqual([{ seq: expect.any(Number), status: 'processing', reason: 'payment_captured' }]);
    expect(webhooks).toHaveLength(1);
    const [attempt] = await attemptsOf(server, tx.merchantTransactionId);
    const stored = await server.platform.db
      .selectFrom('provider_events')
      .select(['event'])
      .where('provider', '=', 'sandbox-payments')
      .execute();
    expect(stored.filter((row) => row.event.providerPaymentId === attempt!.provider_payment_id)).toHaveLength(1);
    expect(id).toBeTruthy();
  });

  it('a refund reported before its capture: the money went back, the transaction stays pending, the late capture is ignored', async () => {
    const tx = await who();
    await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.refundedBeforeCapture) });
    await settle(server);
    const [attempt] = await attemptsOf(server, tx.merchantTransactionId);
    expect(attempt).toMatchObject({ status: 'refunded', pays_transaction: false, refund_reason: 'reversed_by_provider' });
    expect((await server.getTransaction(tx.merchantTransactionId)).body.status).toBe('pending');
    expect((await historyOf(server, tx.merchantTransactionId)).events).toEqual([]);
    const applied = await server.platform.db.selectFrom('provider_events').select(['event', 'status']).orderBy('id').execute();
    const mine = applied.filter((row) => row.event.providerPaymentId === attempt!.provider_payment_id);
    expect(mine.map((row) => [row.event.outcome, row.status])).toEqual([
      ['refunded', 'applied'],
      ['captured', 'applied'],
    ]);
    expect(await getPaymentState(server.platform, tx)).toMatchObject({
      attempts_used: 1,
      can_start: true,
      current: { status: 'refunded' },
    });
  });

  it('refundPayment gives a captured payment back once: recorded on the attempt, completed by callback', async () => {
    const tx = await who();
    await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.success) });
    await settle(server);
    const { id } = await historyOf(server, tx.merchantTransactionId);
    const requested = await refundPayment(server.platform, { transactionId: id, reason: 'delivery_failed' });
    expect(requested).toEqual({
      attempt_id: expect.any(String),
      status: 'requested',
      reason: 'delivery_failed',
      provider_refund_id: expect.stringMatching(/^sbref_/),
    });
    expect(await refundPayment(server.platform, { transactionId: id, reason: 'another reason' })).toEqual(requested);
    await settle(server);
    const [attempt] = await attemptsOf(server, tx.merchantTransactionId);
    expect(attempt).toMatchObject({
      status: 'refunded',
      refund_reason: 'delivery_failed',
      provider_refund_id: requested.provider_refund_id,
      refund_requested_at: server.clock.now(),
      refunded_at: server.clock.now(),
    });
    expect(await refundPayment(server.platform, { transactionId: id, reason: 'delivery_failed' })).toEqual({
      ...requested,
      status: 'refunded',
    });
    // A refund changes no status: settlement moves the transaction itself.
    expect((await historyOf(server, tx.merchantTransactionId)).events.map((event) => event.status)).toEqual(['processing']);
  });

  it('100 concurrent "captured" events for one transaction make one status change and one webhook', async () => {
    const tx = await who();
    // A challenged payment: nothing is called back until the challenge is answered, so only these events apply.
    const challenged = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.challenge) });
    const [attempt] = await attemptsOf(server, tx.merchantTransactionId);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        applyPaymentUpdate(server.platform, {
          kind: 'payment.update',
          eventId: `evt_concurrent_${index}`,
          providerPaymentId: attempt!.provider_payment_id!,
          outcome: 'captured',
          paymentMethod: 'card',
        }),
      ),
    );
    expect(results.filter((result) => result.applied)).toHaveLength(1);
    expect(results.every((result) => result.status === 'captured' && result.attemptId === challenged.current!.attempt_id)).toBe(true);
    const { events, webhooks } = await historyOf(server, tx.merchantTransactionId);
    expect(events).toEqual([{ seq: expect.any(Number), status: 'processing', reason: 'payment_captured' }]);
    expect(webhooks.map((webhook) => [webhook.seq, webhook.payload.status])).toEqual([[events[0]!.seq, 'processing']]);
    expect((await server.getTransaction(tx.merchantTransactionId)).body).toMatchObject({ status: 'processing', payment_method: 'card' });
  });
});
