import { describe, expect, it } from 'vitest';
import { deriveKey } from '../src/lib/crypto.ts';
import { SANDBOX_CARDS, signSandboxPaymentCallback } from '../src/modules/payments/sandbox-payment-provider.ts';
import { card, EMBED_ENV, openWidget, verifyIdentity } from './helpers/embed-kit.ts';
import { request, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * A provider that sends "payment captured" a hundred times at once, half as the same event and half
 * under new event ids, through the real callback route: one status change, one history event, one
 * webhook. (The sandbox's own callback waits an hour here, so only the test's arrive.)
 */
describe('100 concurrent "payment captured" callbacks for one transaction', () => {
  const server = useServerWithPartner({ background: true, env: { ...EMBED_ENV, SANDBOX_PAYMENT_DELAY: '1h' }, webhookReceiver: true });

  it('make one status change and one webhook', async () => {
    const session = (await server.createSession(sessionBody({ partner_user_id: 'captured-often' }))).body;
    const widget = await openWidget(server, session);
    await verifyIdentity(widget);
    await widget.waitFor((state) => state.next_step === 'payment');
    const paying = await widget.call('/payments', { body: card(SANDBOX_CARDS.success) });
    expect(paying.body.payment.current).toMatchObject({ status: 'pending' });
    const attempt = await server.platform.db
      .selectFrom('payment_attempts')
      .select(['id', 'provider_payment_id'])
      .where('id', '=', paying.body.payment.current.attempt_id)
      .executeTakeFirstOrThrow();

    const key = deriveKey(server.signingSecret, 'sandbox-payments-callbacks');
    const send = (eventId: string) => {
      const created = Math.floor(server.clock.now().getTime() / 1000);
      const body = JSON.stringify({
        id: eventId,
        type: 'payment.captured',
        created,
        data: { payment: attempt.provider_payment_id, reference: attempt.id, method: 'card' },
      });
      return request(`${server.url}/providers/sandbox-payments/callbacks`, {
        rawBody: body,
        headers: { 'content-type': 'application/json', 'proof-sandbox-signature': signSandboxPaymentCallback(key, created, body) },
      });
    };
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => send(i % 2 === 0 ? 'sbevt_the_same_event' : `sbevt_another_event_${i}`)),
    );
    expect(
      answers.map((answer) => answer.status),
      JSON.stringify(answers[0]!.body),
    ).toEqual(Array(100).fill(200));
    expect(answers.filter((answer) => answer.body.duplicate === false)).toHaveLength(51);

    await server.background!.callbacks.drain();
    await widget.waitFor((state) => state.transaction.status === 'processing');
    const transactionId = (
      await server.platform.db
        .selectFrom('transactions')
        .select('id')
        .where('merchant_transaction_id', '=', session.merchant_transaction_id)
        .executeTakeFirstOrThrow()
    ).id;
    const events = await server.platform.db
      .selectFrom('transaction_events')
      .select('status')
      .where('transaction_id', '=', transactionId)
      .execute();
    expect(events.map((event) => event.status)).toEqual(['processing']);
    const queued = await server.platform.db
      .selectFrom('webhook_deliveries')
      .select('payload')
      .where('transaction_id', '=', transactionId)
      .execute();
    expect(queued.map((row) => (row.payload as { status: string }).status)).toEqual(['processing']);
    await server.background!.webhooks.drain();
    expect(server.receiver.forTransaction(session.merchant_transaction_id).map((hook) => hook.json.status)).toEqual(['processing']);
  });
});
