import { describe, expect, it } from 'vitest';
import { SANDBOX_CARDS, SANDBOX_CHALLENGE_CODE } from '../src/modules/payments/sandbox-payment-provider.ts';
import { connect } from './helpers/delivery-kit.ts';
import { card, EMBED_ENV, openWidget, verifyIdentity } from './helpers/embed-kit.ts';
import { expectError, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * The buy flow end to end over real HTTP, as the widget's iframe drives it: session → open → identity
 * verification decided by the sandbox's signed callback → card payment with 3-D Secure → captured by
 * callback → processing, seen by polling, the WebSocket and the webhook alike.
 */
describe('a buy through the embed API', () => {
  const server = useServerWithPartner({ background: true, env: EMBED_ENV, webhookReceiver: true });

  const newBuy = async (partnerUserId: string) => {
    const created = await server.createSession(sessionBody({ partner_user_id: partnerUserId, user_email: `${partnerUserId}@example.com` }));
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    return created.body;
  };

  it('first-time buyer: verification, then a card with a 3-D Secure challenge, captured → processing everywhere', async () => {
    const session = await newBuy('first-timer');
    const id = session.merchant_transaction_id;
    const subscriber = connect(server, { tx_id: id }, server.partner.client_token);
    await subscriber.next(1);

    const widget = await openWidget(server, session);
    expect(widget.state).toMatchObject({
      next_step: 'verification',
      transaction: { merchant_transaction_id: id, status: 'pending', type: 'buy' },
      quote: { crypto_amount: '100', fiat_amount: '94.80', fiat_currency: 'EUR', expired: false },
      verification: { status: 'not_started', required: true },
      payment: { attempts_used: 0, current: null },
    });

    // Nobody is charged before their identity is verified.
    expectError(await widget.call('/payments', { body: card(SANDBOX_CARDS.success) }), 409, 'conflict', 'verification_required');
    await verifyIdentity(widget);
    const verified = await widget.waitFor((state) => state.next_step === 'payment');
    expect(verified.verification).toMatchObject({ status: 'verified', required: false });

    const challenged = await widget.call('/payments', { body: card(SANDBOX_CARDS.challenge) });
    expect(challenged.status, JSON.stringify(challenged.body)).toBe(200);
    expect(challenged.body).toMatchObject({
      next_step: 'payment_challenge',
      payment: { current: { status: 'requires_action', method: 'card', card: { last4: '3220' }, challenge: { kind: 'three_ds' } } },
    });
    const attemptId = challenged.body.payment.current.attempt_id;
    const answered = await widget.call(`/payments/${attemptId}/challenge`, { body: { answer: SANDBOX_CHALLENGE_CODE } });
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);

    const paid = await widget.waitFor((state) => state.transaction.status === 'processing');
    expect(paid).toMatchObject({
      next_step: 'processing',
      transaction: { payment_method: 'card' },
      payment: { current: { status: 'captured' } },
    });

    const polled = await server.getTransaction(id);
    expect(polled.body).toMatchObject({ status: 'processing', payment_method: 'card', crypto_amount: '100' });
    await subscriber.next(2);
    expect(subscriber.messages[1]).toMatchObject({ status: 'processing', payment_method: 'card' });
    subscriber.socket.close();
    await server.background!.webhooks.drain();
    expect(server.receiver.forTransaction(id).map((hook) => [hook.json.status, hook.json.payment_method])).toEqual([
      ['processing', 'card'],
    ]);
  });

  it('a returning verified user goes straight to payment, here with Apple Pay', async () => {
    const session = await newBuy('first-timer');
    const widget = await openWidget(server, session);
    expect(widget.state).toMatchObject({ next_step: 'payment', verification: { status: 'verified', required: false } });
    expect((await widget.call('/payments', { body: { method: 'apple_pay', token: 'tok_sandbox_success' } })).status).toBe(200);
    const paid = await widget.waitFor((state) => state.transaction.status === 'processing');
    expect(paid.transaction.payment_method).toBe('apple_pay');
    expect((await server.getTransaction(session.merchant_transaction_id)).body.payment_method).toBe('apple_pay');
  });

  it('declined, then paid on the same transaction: two attempts with two provider ids', async () => {
    const session = await newBuy('first-timer');
    const widget = await openWidget(server, session);
    const declined = await widget.call('/payments', { body: card(SANDBOX_CARDS.insufficientFunds) });
    expect(declined.status, JSON.stringify(declined.body)).toBe(200);
    const afterDecline = await widget.waitFor((state) => state.payment.current?.status === 'declined');
    expect(afterDecline).toMatchObject({
      next_step: 'payment',
      transaction: { status: 'pending' },
      payment: { attempts_used: 1, can_start: true, current: { decline_reason: 'insufficient_funds' } },
    });
    expect((await widget.call('/payments', { body: card(SANDBOX_CARDS.success) })).status).toBe(200);
    const paid = await widget.waitFor((state) => state.transaction.status === 'processing');
    expect(paid.payment).toMatchObject({ attempts_used: 2, current: { status: 'captured' } });
    const attempts = await server.platform.db
      .selectFrom('payment_attempts')
      .select(['payment_attempts.provider_payment_id', 'payment_attempts.status'])
      .innerJoin('transactions', 'transactions.id', 'payment_attempts.transaction_id')
      .where('transactions.merchant_transaction_id', '=', session.merchant_transaction_id)
      .execute();
    expect(attempts.map((attempt) => attempt.status).sort()).toEqual(['captured', 'declined']);
    expect(new Set(attempts.map((attempt) => attempt.provider_payment_id)).size).toBe(2);
  });

  it('a failed 3-D Secure challenge, then a retry that succeeds', async () => {
    const session = await newBuy('first-timer');
    const widget = await openWidget(server, session);
    const challenged = await widget.call('/payments', { body: card(SANDBOX_CARDS.challengeFails) });
    const attemptId = challenged.body.payment.current.attempt_id;
    await widget.call(`/payments/${attemptId}/challenge`, { body: { answer: SANDBOX_CHALLENGE_CODE } });
    const failed = await widget.waitFor((state) => ['declined', 'failed'].includes(state.payment.current?.status));
    expect(failed).toMatchObject({
      next_step: 'payment',
      transaction: { status: 'pending' },
      payment: { current: { decline_reason: 'three_ds_failed' } },
    });
    await widget.call('/payments', { body: card(SANDBOX_CARDS.success) });
    await widget.waitFor((state) => state.transaction.status === 'processing');
  });

  it('a rejected identity fails the transaction with kyc_rejected', async () => {
    const session = await newBuy('rejected-user');
    const widget = await openWidget(server, session);
    await verifyIdentity(widget, 'REJECT');
    // The transaction fails before the decision is recorded (a crash in between is repaired by the
    // event's replay), so a poll can catch the one without the other for a moment.
    const rejected = await widget.waitFor((state) => state.transaction.status === 'failed' && state.verification.status !== 'pending');
    expect(rejected).toMatchObject({
      next_step: 'result',
      transaction: { failure_reason: 'kyc_rejected' },
      verification: { status: 'failed' },
    });
    expect((await server.getTransaction(session.merchant_transaction_id)).body).toMatchObject({
      status: 'failed',
      failure_reason: 'kyc_rejected',
    });
  });

  it('a provider timeout answers the documented 502 and changes nothing', async () => {
    const session = await newBuy('first-timer');
    const widget = await openWidget(server, session);
    const before = (await widget.call('/session')).body;
    const timedOut = await widget.call('/payments', { body: card(SANDBOX_CARDS.timeout) });
    expect(timedOut.status).toBe(502);
    expect(timedOut.body).toMatchObject({ error: 'upstream_unavailable', code: 'upstream_unavailable' });
    const after = (await widget.call('/session')).body;
    expect(after).toEqual(before);
  });
});
