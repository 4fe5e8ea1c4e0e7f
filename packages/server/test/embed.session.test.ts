import { describe, expect, it } from 'vitest';
import { SANDBOX_CARDS } from '../src/modules/payments/sandbox-payment-provider.ts';
import { card, EMBED_ENV, openWidget, verifyIdentity } from './helpers/embed-kit.ts';
import { expectError, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/** The session as the iframe manages it: picking the amount, refreshing the quote, cancelling, following it live. */
describe('the embed session', () => {
  const server = useServerWithPartner({ background: true, env: EMBED_ENV });
  const MINUTE = 60_000;

  it('a session created without an amount: the user picks one within the limits, and the quote is locked then', async () => {
    const created = await server.createSession(sessionBody({ amount: undefined, partner_user_id: 'picker' }));
    const widget = await openWidget(server, created.body);
    expect(widget.state).toMatchObject({ next_step: 'amount', quote: null, terms: { fix_amount: false, fix_fiat_amount: false } });
    expectError(await widget.call('/session/quote', { body: {} }), 400, 'invalid_request', 'missing_param');
    expectError(await widget.call('/session/quote', { body: { fiat_amount: '1000000' } }), 400, 'invalid_request', 'amount_out_of_range');

    const picked = await widget.call('/session/quote', { body: { fiat_amount: '50' } });
    expect(picked.status, JSON.stringify(picked.body)).toBe(200);
    expect(picked.body).toMatchObject({
      next_step: 'verification',
      quote: {
        fiat_amount: '50.00',
        fiat_currency: 'EUR',
        expired: false,
        expires_at: new Date(server.clock.now().getTime() + 2 * MINUTE).toISOString(),
      },
    });
    // The partner's view follows: the amount the user picked is the transaction's.
    expect((await server.getTransaction(created.body.merchant_transaction_id)).body.fiat_amount).toBe('50.00');
    const quoted = await server.request(`/widget/quote?${new URLSearchParams({ currency: 'USDT', network: 'TRC20', fiat_amount: '50' })}`);
    expect(picked.body.quote.crypto_amount).toBe(quoted.body.crypto_amount);
  });

  it('a quote expires after QUOTE_TTL; payment then needs a refreshed one, at the same amount', async () => {
    const created = await server.createSession(sessionBody({ partner_user_id: 'refresher' }));
    const widget = await openWidget(server, created.body);
    await verifyIdentity(widget);
    await widget.waitFor((state) => state.next_step === 'payment');
    server.clock.advance(2 * MINUTE + 1_000);
    const stale = (await widget.call('/session')).body;
    expect(stale.quote).toMatchObject({ expired: true });
    expect(stale.payment.can_start).toBe(false);
    expectError(await widget.call('/payments', { body: card(SANDBOX_CARDS.success) }), 409, 'conflict', 'quote_required');

    const refreshed = await widget.call('/session/quote', { body: {} });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.quote).toMatchObject({ crypto_amount: '100', fiat_amount: '94.80', expired: false });
    // The partner fixed this amount: the user may refresh it, not change it.
    const changed = expectError(
      await widget.call('/session/quote', { body: { amount: '150' } }),
      400,
      'invalid_request',
      'validation_error',
    );
    expect(changed.details).toEqual([
      { field: 'amount', issue: 'the partner fixed the amount of this session; refresh the quote without one' },
    ]);
    expect((await widget.call('/payments', { body: card(SANDBOX_CARDS.success) })).status).toBe(200);
    await widget.waitFor((state) => state.transaction.status === 'processing');
    expectError(await widget.call('/session/quote', { body: {} }), 409, 'conflict', 'session_already_used');
  });

  it('a quote cannot change while a payment is under way at it (409 payment_in_progress)', async () => {
    const created = await server.createSession(sessionBody({ partner_user_id: 'refresher' }));
    const widget = await openWidget(server, created.body);
    const challenged = await widget.call('/payments', { body: card(SANDBOX_CARDS.challenge) });
    expect(challenged.body.next_step).toBe('payment_challenge');
    expectError(await widget.call('/session/quote', { body: {} }), 409, 'conflict', 'payment_in_progress');
  });

  it('cancel ends the transaction (cancelled, user_cancelled) and nothing more can be done with it', async () => {
    const created = await server.createSession(sessionBody({ partner_user_id: 'canceller' }));
    const widget = await openWidget(server, created.body);
    const cancelled = await widget.call('/session/cancel', { method: 'POST' });
    expect(cancelled.body).toMatchObject({ next_step: 'result', transaction: { status: 'cancelled' } });
    expect((await server.getTransaction(created.body.merchant_transaction_id)).body.status).toBe('cancelled');
    expectError(await widget.call('/session/cancel', { method: 'POST' }), 409, 'conflict', 'session_already_used');
  });

  it('streams the state as Server-Sent Events: at once, then on every change, and ends with the result', async () => {
    const created = await server.createSession(sessionBody({ partner_user_id: 'follower' }));
    const widget = await openWidget(server, created.body);
    const response = await fetch(`${server.url}/embed/v1/session/events`, { headers: { authorization: `Bearer ${widget.credential}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const states: any[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of response.body!) {
        buffered += decoder.decode(chunk, { stream: true });
        for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (block.startsWith('event: state') && data) states.push(JSON.parse(data.slice(6)));
        }
      }
    })();
    while (states.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(states[0]).toMatchObject({ next_step: 'verification' });
    // A verification decided changes no status: the stream still shows it, within seconds.
    await verifyIdentity(widget);
    const deadline = Date.now() + 5_000;
    while (states.at(-1)?.next_step !== 'payment' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(states.at(-1)).toMatchObject({ next_step: 'payment', verification: { status: 'verified' } });
    // A status change is sent at once, and the stream ends after the result.
    await widget.call('/session/cancel', { method: 'POST' });
    await reading;
    expect(states.at(-1)).toMatchObject({ next_step: 'result', transaction: { status: 'cancelled' } });
  });
});
