import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/errors.ts';
import { ProviderError } from '../src/lib/provider-error.ts';
import {
  answerChallenge,
  applyPaymentUpdate,
  getPaymentState,
  NoPaymentToRefundError,
  refundPayment,
  startPayment,
  UnknownPaymentError,
} from '../src/modules/payments/payment-service.ts';
import { SANDBOX_CARDS, SANDBOX_CHALLENGE_CODE } from '../src/modules/payments/sandbox-payment-provider.ts';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { logCollector } from './helpers/log-collector.ts';
import { attemptsOf, card, historyOf, settle } from './helpers/payments-kit.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * What cannot be paid, and what goes wrong while paying, at the payments module's service level on
 * a real platform: bad card input is refused field by field before anything is stored; a sell, a
 * closed transaction and a second attempt in flight are refused with their codes; a provider that
 * times out changes nothing (no attempt used); the last allowed decline fails the transaction with
 * payment_declined; a capture the transaction can no longer use is refunded; and the card number is
 * never stored or logged.
 */

/** The code of the ApiError (or the kind of the ProviderError) a call was refused with; 'accepted' when it was not. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: unknown) => {
      if (error instanceof ApiError) return `${error.status} ${error.code}`;
      if (error instanceof ProviderError) return `provider ${error.kind}`;
      throw error;
    },
  );

describe('payment errors', () => {
  const server = useServerWithPartner({
    background: true,
    webhookReceiver: true,
    env: { ...DELIVERY_ENV, SANDBOX_PAYMENT_DELAY: '0' },
  });
  const who = async (overrides: Record<string, unknown> = {}) => ({
    partnerId: server.partner.partner_id,
    merchantTransactionId: await server.newSession(overrides),
  });

  it('refuses bad card input with 400 validation_error naming each field, and stores nothing', async () => {
    const tx = await who();
    const error = (await startPayment(server.platform, {
      ...tx,
      source: card('4242 4242 4242 4241', { expiry_year: 2025, cvc: '12' }),
    }).then(
      () => null,
      (caught: unknown) => caught,
    )) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.details).toEqual([
      { field: 'card.number', issue: 'is not a valid card number (check digit)' },
      { field: 'card.expiry_year', issue: 'the card has expired' },
      { field: 'card.cvc', issue: 'must be 3 or 4 digits' },
    ]);
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('4241');
    // Expired against the platform clock (2026-11-21): last month is refused, this month is not.
    expect(
      await refusal(
        startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.declined, { expiry_year: 2026, expiry_month: 10 }) }),
      ),
    ).toBe('400 validation_error');
    expect(await refusal(startPayment(server.platform, { ...tx, source: { method: 'apple_pay' } as never }))).toBe('400 validation_error');
    expect(await attemptsOf(server, tx.merchantTransactionId)).toEqual([]);
    expect(await getPaymentState(server.platform, tx)).toEqual({
      attempts_used: 0,
      attempts_left: 5,
      max_attempts: 5,
      can_start: true,
      current: null,
    });
  });

  it('refuses a sell (400 not_a_buy), an unknown or another partner’s transaction (404), a closed one (409 transaction_not_pending)', async () => {
    const sell = await who({ type: 'sell' });
    expect(await refusal(startPayment(server.platform, { ...sell, source: card(SANDBOX_CARDS.success) }))).toBe('400 not_a_buy');
    expect(
      await refusal(startPayment(server.platform, { ...sell, merchantTransactionId: 'no-such-id', source: card(SANDBOX_CARDS.success) })),
    ).toBe('404 not_found');
    const other = await server.createPartner({ name: 'Other Partner' });
    const buy = await who();
    expect(await refusal(startPayment(server.platform, { ...buy, partnerId: other.partner_id, source: card(SANDBOX_CARDS.success) }))).toBe(
      '404 not_found',
    );
    expect(await refusal(getPaymentState(server.platform, { ...buy, partnerId: other.partner_id }))).toBe('404 not_found');
    expect((await server.sandboxMove(buy.merchantTransactionId, 'cancelled')).status).toBe(200);
    expect(await refusal(startPayment(server.platform, { ...buy, source: card(SANDBOX_CARDS.success) }))).toBe(
      '409 transaction_not_pending',
    );
    expect((await getPaymentState(server.platform, buy)).can_start).toBe(false);
  });

  it('allows one attempt in flight: a second start while one awaits its challenge or outcome is 409 payment_in_progress', async () => {
    const tx = await who();
    const challenged = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.challenge) });
    expect(challenged.can_start).toBe(false);
    expect(await refusal(startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.success) }))).toBe('409 payment_in_progress');
    await answerChallenge(server.platform, { ...tx, attemptId: challenged.current!.attempt_id, answer: SANDBOX_CHALLENGE_CODE });
    // Answered, its outcome not in yet: still in flight.
    expect(await refusal(startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.success) }))).toBe('409 payment_in_progress');
    await settle(server);
    expect(await refusal(startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.success) }))).toBe(
      '409 transaction_not_pending',
    );
    expect(await attemptsOf(server, tx.merchantTransactionId)).toHaveLength(1);
  });

  it('two concurrent starts on one transaction make one attempt', async () => {
    const tx = await who();
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => refusal(startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.challenge) }))),
    );
    expect(outcomes.sort()).toEqual([
      '409 payment_in_progress',
      '409 payment_in_progress',
      '409 payment_in_progress',
      '409 payment_in_progress',
      'accepted',
    ]);
    expect(await attemptsOf(server, tx.merchantTransactionId)).toHaveLength(1);
  });

  it('answering a challenge: only the attempt’s own, only once, only while asked', async () => {
    const tx = await who();
    const plain = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.declined) });
    const answer = (attemptId: string, text = SANDBOX_CHALLENGE_CODE) =>
      refusal(answerChallenge(server.platform, { ...tx, attemptId, answer: text }));
    expect(await answer(plain.current!.attempt_id)).toBe('409 no_challenge_pending');
    await settle(server);
    const challenged = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.challenge) });
    const id = challenged.current!.attempt_id;
    expect(await answer('pay_00000000000000000000')).toBe('404 not_found');
    const elsewhere = await who();
    expect(await refusal(answerChallenge(server.platform, { ...elsewhere, attemptId: id, answer: SANDBOX_CHALLENGE_CODE }))).toBe(
      '404 not_found',
    );
    expect(await answer(id, '')).toBe('400 validation_error');
    expect(await answer(id, 'x'.repeat(65))).toBe('400 validation_error');
    const [first, second] = await Promise.all([answer(id), answer(id)]);
    expect([first, second].sort()).toEqual(['409 no_challenge_pending', 'accepted']);
    await settle(server);
    expect((await server.getTransaction(tx.merchantTransactionId)).body.status).toBe('processing');
  });

  it('a provider timeout answers ProviderError unavailable (502 upstream_unavailable) and changes nothing: no attempt used', async () => {
    const tx = await who();
    const before = await getPaymentState(server.platform, tx);
    const error = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.timeout) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ provider: 'sandbox-payments', kind: 'unavailable', retryable: true });
    expect(await getPaymentState(server.platform, tx)).toEqual(before);
    expect((await server.getTransaction(tx.merchantTransactionId)).body.status).toBe('pending');
    expect((await historyOf(server, tx.merchantTransactionId)).events).toEqual([]);
    const [errored] = await attemptsOf(server, tx.merchantTransactionId);
    expect(errored).toMatchObject({ status: 'errored', error_kind: 'unavailable', provider_payment_id: null });
    // The user may try again at once.
    const retried = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.success) });
    expect(retried).toMatchObject({ attempts_used: 1, attempts_left: 4, current: { status: 'pending' } });
    await settle(server);
    expect((await server.getTransaction(tx.merchantTransactionId)).body.status).toBe('processing');
  });

  it('the fifth declined attempt (PAYMENT_MAX_ATTEMPTS) fails the transaction with payment_declined, once', async () => {
    const tx = await who();
    const declines = [SANDBOX_CARDS.insufficientFunds, SANDBOX_CARDS.declined, SANDBOX_CARDS.insufficientFunds, SANDBOX_CARDS.declined];
    for (const [index, number] of declines.entries()) {
      await startPayment(server.platform, { ...tx, source: card(number) });
      await settle(server);
      expect(await getPaymentState(server.platform, tx)).toMatchObject({
        attempts_used: index + 1,
        attempts_left: 4 - index,
        can_start: true,
      });
      expect((await server.getTransaction(tx.merchantTransactionId)).body.status).toBe('pending');
    }
    // The timeout in between costs nothing.
    expect(await refusal(startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.timeout) }))).toBe('provider unavailable');
    const challenged = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.challengeFails) });
    await answerChallenge(server.platform, { ...tx, attemptId: challenged.current!.attempt_id, answer: '000000' });
    await settle(server);

    const read = await server.getTransaction(tx.merchantTransactionId);
    expect(read.body).toMatchObject({ status: 'failed', failure_reason: 'payment_declined' });
    expect(read.body).not.toHaveProperty('payment_method');
    expect(await getPaymentState(server.platform, tx)).toMatchObject({
      attempts_used: 5,
      attempts_left: 0,
      can_start: false,
      current: { status: 'failed', decline_reason: 'three_ds_failed' },
    });
    const { events, webhooks } = await historyOf(server, tx.merchantTransactionId);
    expect(events).toEqual([{ seq: expect.any(Number), status: 'failed', reason: 'payment_declined' }]);
    expect(webhooks.map((webhook) => webhook.payload.status)).toEqual(['failed']);
    expect(await refusal(startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.success) }))).toBe(
      '409 transaction_not_pending',
    );
    expect((await attemptsOf(server, tx.merchantTransactionId)).map((attempt) => attempt.status)).toEqual([
      'declined',
      'declined',
      'declined',
      'declined',
      'errored',
      'failed',
    ]);
  });

  it('a quote that expired must be refreshed before paying (409 quote_required)', async () => {
    const tx = await who();
    server.clock.advance(3 * 60_000);
    try {
      expect(await refusal(startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.success) }))).toBe('409 quote_required');
      expect((await getPaymentState(server.platform, tx)).can_start).toBe(false);
    } finally {
      server.clock.advance(-3 * 60_000);
    }
  });

  it('a capture for a transaction that can no longer use it is refunded; the transaction stays as it was', async () => {
    const tx = await who();
    const challenged = await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.challenge) });
    expect((await server.sandboxMove(tx.merchantTransactionId, 'cancelled')).status).toBe(200);
    const [attempt] = await attemptsOf(server, tx.merchantTransactionId);
    const result = await applyPaymentUpdate(server.platform, {
      kind: 'payment.update',
      eventId: 'evt_late_capture',
      providerPaymentId: attempt!.provider_payment_id!,
      outcome: 'captured',
    });
    expect(result).toEqual({ attemptId: challenged.current!.attempt_id, applied: true, status: 'captured' });
    expect((await attemptsOf(server, tx.merchantTransactionId))[0]).toMatchObject({
      status: 'captured',
      pays_transaction: false,
      refund_reason: 'transaction_closed',
      provider_refund_id: expect.stringMatching(/^sbref_/),
    });
    await settle(server);
    expect((await attemptsOf(server, tx.merchantTransactionId))[0]).toMatchObject({
      status: 'refunded',
      refund_reason: 'transaction_closed',
    });
    expect((await server.getTransaction(tx.merchantTransactionId)).body.status).toBe('cancelled');
    expect((await historyOf(server, tx.merchantTransactionId)).events.map((event) => event.status)).toEqual(['cancelled']);
  });

  it('a capture at an amount the transaction no longer quotes is refunded, and the transaction stays payable', async () => {
    const tx = await who();
    await startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.challenge) });
    const [attempt] = await attemptsOf(server, tx.merchantTransactionId);
    await server.platform.db
      .updateTable('transactions')
      .set({ quote_fiat_minor: '9999' })
      .where('id', '=', attempt!.transaction_id)
      .execute();
    await applyPaymentUpdate(server.platform, {
      kind: 'payment.update',
      eventId: 'evt_other_amount',
      providerPaymentId: attempt!.provider_payment_id!,
      outcome: 'captured',
    });
    expect((await attemptsOf(server, tx.merchantTransactionId))[0]).toMatchObject({
      status: 'captured',
      pays_transaction: false,
      refund_reason: 'quote_changed',
    });
    expect((await server.getTransaction(tx.merchantTransactionId)).body.status).toBe('pending');
    expect((await getPaymentState(server.platform, tx)).can_start).toBe(true);
    await settle(server);
  });

  it('a late capture of an attempt that timed out pays the transaction, found by its reference', async () => {
    const tx = await who();
    await refusal(startPayment(server.platform, { ...tx, source: card(SANDBOX_CARDS.timeout) }));
    const [errored] = await attemptsOf(server, tx.merchantTransactionId);
    await applyPaymentUpdate(server.platform, {
      kind: 'payment.update',
      eventId: 'evt_after_timeout',
      providerPaymentId: 'sbpay_cS_latecapture0123456789',
      reference: errored!.id,
      outcome: 'captured',
    });
    expect((await attemptsOf(server, tx.merchantTransactionId))[0]).toMatchObject({
      status: 'captured',
      provider_payment_id: 'sbpay_cS_latecapture0123456789',
      pays_transaction: true,
    });
    expect((await server.getTransaction(tx.merchantTransactionId)).body).toMatchObject({ status: 'processing', payment_method: 'card' });
  });

  it('an event for no known payment is refused for a later retry; a malformed one is refused outright', async () => {
    const unknown = applyPaymentUpdate(server.platform, {
      kind: 'payment.update',
      eventId: 'e1',
      providerPaymentId: 'sbpay_cS_nobody0123456789ab',
      outcome: 'captured',
    });
    await expect(unknown).rejects.toBeInstanceOf(UnknownPaymentError);
    await expect(
      applyPaymentUpdate(server.platform, { kind: 'payment.update', eventId: 'e2', providerPaymentId: 'x', outcome: 'paid' }),
    ).rejects.toThrow('an outcome');
    await expect(applyPaymentUpdate(server.platform, { kind: 'kyc.decision', eventId: 'e3' })).rejects.toThrow(
      'not a payment.update event',
    );
  });

  it('refundPayment needs a payment that paid the transaction', async () => {
    const tx = await who();
    const { id } = await historyOf(server, tx.merchantTransactionId);
    await expect(refundPayment(server.platform, { transactionId: id, reason: 'delivery_failed' })).rejects.toBeInstanceOf(
      NoPaymentToRefundError,
    );
  });
});

describe('card numbers are never stored or logged', () => {
  const { lines, logger } = logCollector('debug');
  const server = useServerWithPartner({
    background: true,
    env: { SANDBOX_PAYMENT_DELAY: '0' },
    platformOptions: { logger },
  });
  const numbers = Object.values(SANDBOX_CARDS);
  const spaced = (number: string) => number.replace(/(\d{4})(?=\d)/g, '$1 ');

  it('after payments with every test card, a refund and refused input, no table row and no log line holds a number', async () => {
    const partnerId = server.partner.partner_id;
    for (const number of numbers) {
      const tx = { partnerId, merchantTransactionId: await server.newSession() };
      const state = await startPayment(server.platform, { ...tx, source: card(spaced(number), { holder_name: 'Ada Lovelace' }) }).catch(
        () => null,
      );
      if (state?.current?.status === 'requires_action') {
        await answerChallenge(server.platform, { ...tx, attemptId: state.current.attempt_id, answer: SANDBOX_CHALLENGE_CODE });
      }
      await settle(server);
    }
    const refused = { partnerId, merchantTransactionId: await server.newSession() };
    await startPayment(server.platform, { ...refused, source: card('4242 4242 4242 4243') }).catch(() => null);
    const paid = await server.platform.db
      .selectFrom('payment_attempts')
      .select('transaction_id')
      .where('pays_transaction', '=', true)
      .execute();
    await refundPayment(server.platform, { transactionId: paid[0]!.transaction_id, reason: 'delivery_failed' });
    await settle(server);

    const { rows: tables } = await sql<{ name: string }>`
      select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(
      server.platform.db,
    );
    expect(tables.map((table) => table.name)).toContain('payment_attempts');
    let scanned = 0;
    for (const { name } of tables) {
      const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(server.platform.db);
      scanned += rows.length;
      const text = JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
      for (const number of [...numbers, '4242424242424243']) {
        expect(text, `${name} holds ${number}`).not.toContain(number);
        expect(text, `${name} holds ${number}`).not.toContain(spaced(number));
      }
      expect(text).not.toContain('Ada Lovelace');
    }
    expect(scanned).toBeGreaterThan(numbers.length);

    expect(lines.length).toBeGreaterThan(0);
    const logged = JSON.stringify(lines);
    for (const number of [...numbers, '4242424242424243']) {
      expect(logged).not.toContain(number);
      expect(logged).not.toContain(spaced(number));
    }
  });
});
