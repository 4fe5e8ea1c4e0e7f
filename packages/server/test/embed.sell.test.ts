import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SANDBOX_PAYOUT_CARDS } from '../src/modules/settlement/sandbox-payout-provider.ts';
import { openWidget, verifyIdentity } from './helpers/embed-kit.ts';
import { mine, OFF_RAMP_ENV, payoutCard, sendDeposit, settleOffRamp, settleVerification } from './helpers/off-ramp-kit.ts';
import { expectError, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * A sell as the widget's iframe drives it over the embed API: amount → verification → payout card →
 * deposit address (with the exact amount, network and deadline, so the widget can fire
 * onSellTransferEnabled) → the deposit's progress → processing → result. The payout card is taken
 * only on a sell, only once verified, and kept as brand and last four digits only.
 */
describe('a sell through the embed API', () => {
  const server = useServerWithPartner({ background: true, env: OFF_RAMP_ENV });

  const newSell = async (user: string, overrides: Record<string, unknown> = {}) => {
    const created = await server.createSession(
      sessionBody({ type: 'sell', partner_user_id: user, user_email: `${user}@example.com`, ...overrides }),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    return created.body;
  };

  it('walks verification → payout_card → deposit, reporting the address, the exact amount, the network and the deadline', async () => {
    const session = await newSell('walker');
    const widget = await openWidget(server, session);
    const created = new Date((await server.getTransaction(session.merchant_transaction_id)).body.created_at);
    expect(widget.state).toMatchObject({
      next_step: 'verification',
      transaction: { type: 'sell', status: 'pending', address: session.address, network: 'TRC20', currency: 'USDT' },
      quote: { crypto_amount: '100', fiat_amount: '90.12', fiat_currency: 'EUR' },
      payment: null,
      sell: {
        deposit: {
          address: session.address,
          currency: 'USDT',
          network: 'TRC20',
          amount: '100',
          deadline: new Date(created.getTime() + 6 * 3_600_000).toISOString(),
          required_confirmations: 2,
          seen: false,
          confirmations: 0,
          received_amount: '0',
          transfers: [],
        },
        payout: { card: null, status: null, amount: null, fiat_currency: 'EUR' },
      },
    });

    // No card is taken before the user is verified.
    expectError(await widget.call('/payout-card', { body: payoutCard() }), 409, 'conflict', 'verification_required');
    await verifyIdentity(widget);
    await settleVerification(server);
    expect((await widget.call('/session')).body.next_step).toBe('payout_card');

    const saved = await widget.call('/payout-card', { body: payoutCard('4242 4242 4242 4242') });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ next_step: 'deposit', sell: { payout: { card: { brand: 'visa', last4: '4242' }, status: null } } });
    // What the widget hands to onSellTransferEnabled, all from the state.
    const { deposit } = saved.body.sell;
    expect({
      amount: deposit.amount,
      currency: deposit.currency,
      network: deposit.network,
      address: deposit.address,
      id: saved.body.transaction.merchant_transaction_id,
      flow_id: 'payout',
    }).toEqual({
      amount: '100',
      currency: 'USDT',
      network: 'TRC20',
      address: session.address,
      id: session.merchant_transaction_id,
      flow_id: 'payout',
    });

    // The card may be replaced until the payout is sent; only the brand and last four digits are kept.
    const replaced = await widget.call('/payout-card', { body: payoutCard(SANDBOX_PAYOUT_CARDS.paidMastercard) });
    expect(replaced.body.sell.payout.card).toEqual({ brand: 'mastercard', last4: '4444' });
    expect(await server.platform.db.selectFrom('payout_cards').select(['brand', 'last4']).execute()).toEqual([
      { brand: 'mastercard', last4: '4444' },
    ]);
    // Neither card number nor the holder's name is in any row of any table.
    const { rows: tables } = await sql<{ name: string }>`
      select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(
      server.platform.db,
    );
    for (const { name } of tables) {
      const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(name)} t`.execute(server.platform.db);
      for (const { row } of rows) {
        for (const secret of ['4242424242424242', '5555555555554444', 'Lovelace'])
          expect(row, `${name} holds ${secret}`).not.toContain(secret);
      }
    }
  });

  it('shows the deposit seen, its confirmations against the depth, then processing and the result', async () => {
    const session = await newSell('walker');
    const widget = await openWidget(server, session);
    expect(widget.state.next_step).toBe('payout_card');
    await widget.call('/payout-card', { body: payoutCard() });
    const sent = await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 1);
    await settleOffRamp(server);
    expect((await widget.call('/session')).body).toMatchObject({
      next_step: 'deposit',
      transaction: { status: 'pending' },
      sell: {
        deposit: {
          seen: true,
          confirmations: 1,
          required_confirmations: 2,
          received_amount: '100',
          transfers: [{ tx_hash: sent.hash, amount: '100', confirmations: 1, status: 'unconfirmed', late: false }],
        },
      },
    });

    // Once crypto has arrived, the amount is fixed and the sell can no longer be cancelled.
    expectError(await widget.call('/session/quote', { body: {} }), 409, 'conflict', 'deposit_received');
    expectError(await widget.call('/session/cancel', { method: 'POST' }), 409, 'conflict', 'deposit_received');

    await mine(server, 1);
    await settleOffRamp(server);
    expect((await widget.call('/session')).body).toMatchObject({
      next_step: 'result',
      transaction: { status: 'completed' },
      sell: { deposit: { confirmations: 2 }, payout: { status: 'paid', amount: '90.12' } },
    });
  });

  it('a declined payout shows why, and the result', async () => {
    const session = await newSell('walker');
    const widget = await openWidget(server, session);
    await widget.call('/payout-card', { body: payoutCard(SANDBOX_PAYOUT_CARDS.limitExceeded) });
    await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 2);
    await settleOffRamp(server);
    expect((await widget.call('/session')).body).toMatchObject({
      next_step: 'result',
      transaction: { status: 'failed', failure_reason: 'payout_failed' },
      sell: { payout: { status: 'declined', decline_reason: 'limit_exceeded' } },
    });
  });

  it('a sell without an amount asks for one first; a short deposit re-prices it and the state shows the new amounts', async () => {
    const session = await newSell('walker', { amount: null });
    const widget = await openWidget(server, session);
    expect(widget.state).toMatchObject({ next_step: 'amount', sell: { deposit: { amount: null } } });
    const quoted = await widget.call('/session/quote', { body: { amount: '50' } });
    expect(quoted.body).toMatchObject({ next_step: 'payout_card', sell: { deposit: { amount: '50' } } });
    await widget.call('/payout-card', { body: payoutCard() });
    await sendDeposit(server, { to: session.address, amount: '49.5' });
    await mine(server, 2);
    await settleOffRamp(server);
    // 49.5 · 0.92 · 0.985 = 44.8569 → 44.85 − 0.50 = 44.35 EUR
    expect((await widget.call('/session')).body).toMatchObject({
      transaction: { status: 'completed' },
      quote: { crypto_amount: '49.5', fiat_amount: '44.35' },
      sell: { deposit: { received_amount: '49.5' }, payout: { status: 'paid', amount: '44.35' } },
    });
  });

  it('refuses a payout card on a buy, and checks the card field by field without echoing it', async () => {
    const buy = await server.createSession(sessionBody({ partner_user_id: 'walker' }));
    const buyWidget = await openWidget(server, buy.body);
    expectError(await buyWidget.call('/payout-card', { body: payoutCard() }), 400, 'invalid_request', 'not_a_sell');

    const widget = await openWidget(server, await newSell('walker'));
    const badNumber = expectError(
      await widget.call('/payout-card', { body: payoutCard('4242424242424241') }),
      400,
      'invalid_request',
      'validation_error',
    );
    expect(badNumber.details).toEqual([{ field: 'number', issue: 'is not a valid card number (check digit)' }]);
    expect(JSON.stringify(badNumber)).not.toContain('4242424242424241');
    const expired = expectError(
      await widget.call('/payout-card', { body: { ...payoutCard(), expiry_year: 2025 } }),
      400,
      'invalid_request',
      'validation_error',
    );
    expect(expired.details).toEqual([{ field: 'expiry_year', issue: 'the card has expired' }]);
    expectError(await widget.call('/payout-card', { body: { ...payoutCard(), cvc: '123' } }), 400, 'invalid_request', 'validation_error');
    expect((await widget.call('/session')).body.sell.payout.card).toBeNull();
  });

  it('a cancelled sell takes no card', async () => {
    const session = await newSell('walker');
    const widget = await openWidget(server, session);
    expect((await widget.call('/session/cancel', { method: 'POST' })).status).toBe(200);
    expectError(await widget.call('/payout-card', { body: payoutCard() }), 409, 'conflict', 'transaction_not_pending');
  });
});

describe('a sell whose payout is under way', () => {
  // The sandbox pays out an hour after it is asked: long enough to look at the sell meanwhile.
  const server = useServerWithPartner({ background: true, env: { ...OFF_RAMP_ENV, SANDBOX_PAYOUT_DELAY: '1h' } });

  it('is processing with its payout pending, and its card can no longer change', async () => {
    const created = await server.createSession(sessionBody({ type: 'sell' }));
    const widget = await openWidget(server, created.body);
    await verifyIdentity(widget);
    await settleVerification(server);
    await widget.call('/payout-card', { body: payoutCard() });
    await sendDeposit(server, { to: created.body.address, amount: '100' });
    await mine(server, 2);
    await server.background!.offRamp.drain();
    expect((await widget.call('/session')).body).toMatchObject({
      next_step: 'processing',
      transaction: { status: 'processing' },
      sell: { deposit: { confirmations: 2, seen: true }, payout: { status: 'pending', amount: '90.12', card: { last4: '4242' } } },
    });
    expectError(await widget.call('/payout-card', { body: payoutCard() }), 409, 'conflict', 'payout_in_progress');
  });
});
