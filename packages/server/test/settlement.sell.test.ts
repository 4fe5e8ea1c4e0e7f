import { describe, expect, it } from 'vitest';
import { SANDBOX_PAYOUT_CARDS } from '../src/modules/settlement/sandbox-payout-provider.ts';
import { mine, OFF_RAMP_ENV, openVerifiedSell, payoutCard, reorg, sellRecord, sendDeposit, settleOffRamp } from './helpers/off-ramp-kit.ts';
import { expectError } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Sells on a sandbox network (USDT on TRC20) from the deposit to the payout, over real HTTP: the
 * deposit is sent with the operator's sandbox call, blocks are mined on demand, the off-ramp worker
 * and the callbacks worker are driven to the end, and the clock is moved rather than waited for.
 * Sandbox chain confirmations: 2 (SANDBOX_CONFIRMATIONS). Rates: USDT 0.92 EUR; the partner's fee is
 * 1.5 % + 0.50 EUR, so 100 USDT sell for ⌊100 · 0.92 · 0.985⌋ − 0.50 = 90.12 EUR.
 */
describe('a sell on a sandbox network', () => {
  const server = useServerWithPartner({ background: true, webhookReceiver: true, env: OFF_RAMP_ENV });

  const sell = async (user: string, card: string | null = SANDBOX_PAYOUT_CARDS.paid) => {
    const opened = await openVerifiedSell(server, { partner_user_id: user, user_email: `${user}@example.com` });
    if (card !== null) {
      const saved = await opened.widget.call('/payout-card', { body: payoutCard(card) });
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    }
    return opened;
  };

  it('exact deposit: seen, confirmed at the network depth → processing (deposit_confirmed) → paid out → completed (fiat_paid)', async () => {
    const { session, id } = await sell('exact');
    const sent = await sendDeposit(server, { to: session.address, amount: '100' });
    await settleOffRamp(server);
    // Mined in the next block, which the head has not reached: nothing seen yet.
    expect((await sellRecord(server, id)).deposits).toHaveLength(0);

    await mine(server, 1);
    await settleOffRamp(server);
    let record = await sellRecord(server, id);
    expect(record.deposits).toMatchObject([{ tx_hash: sent.hash, amount_minor: '100000000', confirmations: 1, status: 'unconfirmed' }]);
    expect(record.row.status).toBe('pending');

    await mine(server, 1);
    await settleOffRamp(server);
    record = await sellRecord(server, id);
    expect(record.events).toEqual([
      ['processing', 'deposit_confirmed'],
      ['completed', 'fiat_paid'],
    ]);
    expect(record.deposits).toMatchObject([{ status: 'confirmed', disposition: 'credited', unpaid_minor: '0' }]);
    expect(record.payout).toMatchObject({ status: 'paid', amount_minor: '9012', fiat_currency: 'EUR', provider: 'sandbox-payouts' });
    expect((await server.getTransaction(id)).body).toMatchObject({
      status: 'completed',
      type: 'sell',
      crypto_amount: '100',
      fiat_amount: '90.12',
      fiat_currency: 'EUR',
    });
    await server.background!.webhooks.drain();
    expect(server.receiver.forTransaction(id).map((hook) => hook.json.status)).toEqual(['processing', 'completed']);
  });

  it('short deposit within the limits: priced again for what arrived → processing (deposit_underpaid) → paid out the new amount', async () => {
    const { session, id } = await sell('short');
    await sendDeposit(server, { to: session.address, amount: '60' });
    await mine(server, 2);
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    // 60 · 0.92 · 0.985 = 54.372 → 54.37 − 0.50 = 53.87 EUR
    expect(record.events).toEqual([
      ['processing', 'deposit_underpaid'],
      ['completed', 'fiat_paid'],
    ]);
    expect(record.row).toMatchObject({ quote_crypto_minor: '60000000', quote_fiat_minor: '5387', settled_crypto_minor: '60000000' });
    expect(record.payout).toMatchObject({ status: 'paid', amount_minor: '5387' });
    expect(record.deposits).toMatchObject([{ disposition: 'credited', unpaid_minor: '0' }]);
    expect((await server.getTransaction(id)).body).toMatchObject({ status: 'completed', crypto_amount: '60', fiat_amount: '53.87' });
  });

  it('short deposit below the limits → failed (deposit_underpaid), all of it held for the operator', async () => {
    const { session, id } = await sell('too-short');
    await sendDeposit(server, { to: session.address, amount: '5' });
    await mine(server, 2);
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    // 5 USDT are worth 4.03 EUR after fees: under the partner's minimum of 10.
    expect(record.events).toEqual([['failed', 'deposit_underpaid']]);
    expect(record.payout).toBeUndefined();
    expect(record.deposits).toMatchObject([{ disposition: 'refused', unpaid_minor: '5000000' }]);
    expect((await server.getTransaction(id)).body).toMatchObject({ status: 'failed', failure_reason: 'deposit_underpaid' });
    const held = await server.admin('/settlement/held-deposits?disposition=refused');
    expect(held.body.deposits).toEqual([
      expect.objectContaining({ merchant_transaction_id: id, amount: '5', unpaid_amount: '5', disposition: 'refused', resolved_at: null }),
    ]);
  });

  it('over deposit: the quote is paid out, the surplus is recorded for the operator, who resolves it', async () => {
    const { session, id } = await sell('over');
    await sendDeposit(server, { to: session.address, amount: '130.5' });
    await mine(server, 2);
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.events).toEqual([
      ['processing', 'deposit_confirmed'],
      ['completed', 'fiat_paid'],
    ]);
    expect(record.payout).toMatchObject({ status: 'paid', amount_minor: '9012' });
    expect(record.row.settled_crypto_minor).toBe('100000000');
    expect(record.deposits).toMatchObject([{ amount_minor: '130500000', disposition: 'surplus', unpaid_minor: '30500000' }]);

    const listed = await server.admin('/settlement/held-deposits?disposition=surplus');
    const [surplus] = listed.body.deposits.filter((deposit: { merchant_transaction_id: string }) => deposit.merchant_transaction_id === id);
    expect(surplus).toMatchObject({ amount: '130.5', unpaid_amount: '30.5', network: 'TRC20', currency: 'USDT', address: session.address });
    const resolved = await server.admin(`/settlement/deposits/${surplus.id}/resolve`, { body: { note: 'sent 30.5 USDT back' } });
    expect(resolved.body).toMatchObject({ resolved_at: expect.any(String), resolution_note: 'sent 30.5 USDT back' });
    const after = await server.admin('/settlement/held-deposits?disposition=surplus');
    expect(after.body.deposits.map((deposit: { id: string }) => deposit.id)).not.toContain(surplus.id);
  });

  it('a deposit in two parts counts together', async () => {
    const { session, id } = await sell('two-parts');
    await sendDeposit(server, { to: session.address, amount: '40' });
    await sendDeposit(server, { to: session.address, amount: '60' });
    await mine(server, 2);
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.events.map(([status]) => status)).toEqual(['processing', 'completed']);
    expect(record.deposits.map((deposit) => deposit.disposition)).toEqual(['credited', 'credited']);
  });

  it('no deposit within the window → failed (deposit_expired) by the expiry job', async () => {
    const { id } = await sell('missing');
    server.clock.advance(6 * 3_600_000 + 60_000);
    expect((await server.admin('/sandbox/jobs/expire', { method: 'POST' })).body.expired).toBeGreaterThanOrEqual(1);
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.events).toEqual([['failed', 'deposit_expired']]);
    expect(record.deposits).toEqual([]);
  });

  it('a deposit after the window is recorded late, listed for the operator, and pays nothing', async () => {
    const { session, id } = await sell('late');
    server.clock.advance(6 * 3_600_000 + 60_000);
    await server.admin('/sandbox/jobs/expire', { method: 'POST' });
    await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 2);
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.events).toEqual([['failed', 'deposit_expired']]);
    expect(record.deposits).toMatchObject([{ disposition: 'late', unpaid_minor: '100000000', status: 'confirmed' }]);
    expect(record.payout).toBeUndefined();
    const late = await server.admin('/settlement/late-deposits');
    expect(late.status).toBe(200);
    expect(late.body.deposits).toContainEqual(
      expect.objectContaining({ merchant_transaction_id: id, partner_id: server.partner.partner_id, amount: '100', disposition: 'late' }),
    );
  });

  it('a deposit past the window that the expiry job has not reached yet fails the sell at once and is late', async () => {
    const { session, id } = await sell('late-before-expiry');
    server.clock.advance(6 * 3_600_000 + 60_000);
    await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 1);
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.events).toEqual([['failed', 'deposit_expired']]);
    expect(record.deposits).toMatchObject([{ disposition: 'late' }]);
  });

  it('a deposit seen in its window keeps the sell open while it gains confirmations past the deadline', async () => {
    const { session, id } = await sell('just-in-time');
    server.clock.advance(6 * 3_600_000 - 60_000);
    await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 1);
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).deposits).toMatchObject([{ status: 'unconfirmed', confirmations: 1 }]);
    server.clock.advance(120_000);
    await server.admin('/sandbox/jobs/expire', { method: 'POST' });
    expect((await sellRecord(server, id)).row.status).toBe('pending');
    await mine(server, 1);
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).events).toEqual([
      ['processing', 'deposit_confirmed'],
      ['completed', 'fiat_paid'],
    ]);
  });

  it('a declined payout fails the sell (payout_failed) and holds its crypto for the operator', async () => {
    const { session, id } = await sell('declined', SANDBOX_PAYOUT_CARDS.declined);
    await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 2);
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.events).toEqual([
      ['processing', 'deposit_confirmed'],
      ['failed', 'payout_failed'],
    ]);
    expect(record.payout).toMatchObject({ status: 'declined', decline_reason: 'card_declined' });
    expect(record.deposits).toMatchObject([{ disposition: 'credited', unpaid_minor: '100000000' }]);
    expect((await server.getTransaction(id)).body).toMatchObject({ status: 'failed', failure_reason: 'payout_failed' });
  });

  it('a card the payout provider does not serve is declined at once (card_not_supported)', async () => {
    const { session, id } = await sell('unsupported', '4111111111111111');
    await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 2);
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.payout).toMatchObject({ status: 'declined', decline_reason: 'card_not_supported' });
    expect(record.row).toMatchObject({ status: 'failed', failure_reason: 'payout_failed' });
  });

  it('a payout whose callbacks arrive twice completes once', async () => {
    const { session, id } = await sell('twice', SANDBOX_PAYOUT_CARDS.duplicateCallbacks);
    await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 2);
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).events).toEqual([
      ['processing', 'deposit_confirmed'],
      ['completed', 'fiat_paid'],
    ]);
  });

  it('the crypto may arrive before the payout card: the payout waits for it, then completes', async () => {
    const { session, widget, id } = await sell('card-later', null);
    await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 2);
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).payout).toMatchObject({ status: 'awaiting_card' });
    const waiting = await server.admin('/settlement/payouts?status=awaiting_card');
    expect(waiting.body.payouts).toContainEqual(
      expect.objectContaining({ merchant_transaction_id: id, status: 'awaiting_card', amount: '90.12', fiat_currency: 'EUR', tries: 0 }),
    );
    const state = await widget.call('/session');
    expect(state.body).toMatchObject({
      next_step: 'payout_card',
      transaction: { status: 'processing' },
      sell: { payout: { status: 'awaiting_card' } },
    });
    expect((await widget.call('/payout-card', { body: payoutCard() })).status).toBe(200);
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).row.status).toBe('completed');
    expectError(await widget.call('/payout-card', { body: payoutCard() }), 409, 'conflict', 'transaction_not_pending');
    const paid = await server.admin('/settlement/payouts?status=paid');
    expect(paid.body.payouts).toContainEqual(
      expect.objectContaining({ merchant_transaction_id: id, status: 'paid', provider: 'sandbox-payouts', next_try_at: null }),
    );
  });

  it('a reorganisation that moves the deposit to another block: it is followed there, confirmed, and paid once', async () => {
    const { session, id } = await sell('moved');
    const sent = await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 1);
    await settleOffRamp(server);
    const before = (await sellRecord(server, id)).deposits[0]!;
    const moved = await server.admin('/sandbox/chain/reorg', { body: { network: 'TRC20', depth: 1 } });
    expect(moved.body.moved).toEqual([sent.hash]);
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).deposits).toMatchObject([{ status: 'reorged', confirmations: 0 }]);
    await mine(server, 2);
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.deposits).toHaveLength(1);
    expect(record.deposits[0]).toMatchObject({ tx_hash: sent.hash, status: 'confirmed', disposition: 'credited' });
    expect(record.deposits[0]!.block_hash).not.toBe(before.block_hash);
    expect(record.events).toEqual([
      ['processing', 'deposit_confirmed'],
      ['completed', 'fiat_paid'],
    ]);
  });

  it('a late deposit moved by a reorganisation is still listed for the operator', async () => {
    const { session, id } = await sell('late-moved');
    server.clock.advance(6 * 3_600_000 + 60_000);
    await server.admin('/sandbox/jobs/expire', { method: 'POST' });
    await sendDeposit(server, { to: session.address, amount: '7' });
    await mine(server, 1);
    await settleOffRamp(server);
    await server.admin('/sandbox/chain/reorg', { body: { network: 'TRC20', depth: 1 } });
    await settleOffRamp(server);
    // Its block has another hash now, the transfer waits to be mined again: it holds nothing meanwhile.
    expect((await sellRecord(server, id)).deposits).toMatchObject([{ status: 'reorged', disposition: 'late' }]);
    expect((await server.admin('/settlement/late-deposits')).body.deposits).not.toContainEqual(
      expect.objectContaining({ merchant_transaction_id: id }),
    );
    await mine(server, 2);
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).deposits).toMatchObject([{ status: 'confirmed', disposition: 'late', unpaid_minor: '7000000' }]);
    const late = await server.admin('/settlement/late-deposits');
    expect(late.body.deposits).toContainEqual(expect.objectContaining({ merchant_transaction_id: id, amount: '7' }));
  });

  it('a deposit whose block leaves the chain before its depth counts no more, and the sell expires as if it never came', async () => {
    const { session, id } = await sell('reorged');
    server.clock.advance(6 * 3_600_000 - 60_000);
    const sent = await sendDeposit(server, { to: session.address, amount: '100' });
    await mine(server, 1);
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).deposits).toMatchObject([{ status: 'unconfirmed' }]);
    await reorg(server, 1);
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).deposits).toMatchObject([{ tx_hash: sent.hash, status: 'reorged' }]);
    server.clock.advance(120_000);
    await server.admin('/sandbox/jobs/expire', { method: 'POST' });
    expect((await sellRecord(server, id)).events).toEqual([['failed', 'deposit_expired']]);
  });
});

describe('the deposit watchers, as the operator sees them', () => {
  const server = useServerWithPartner({ background: true, env: OFF_RAMP_ENV });

  it('GET /admin/settlement/deposit-watchers: the last block scanned, the head and the lag of each', async () => {
    const { session } = await openVerifiedSell(server, { partner_user_id: 'watched', user_email: 'watched@example.com' });
    await sendDeposit(server, { to: session.address, amount: '1' });
    await mine(server, 1);
    await settleOffRamp(server);
    const caughtUp = await server.admin('/settlement/deposit-watchers');
    expect(caughtUp.status).toBe(200);
    const watcher = caughtUp.body.watchers.find(
      (one: { network: string; asset: string }) => one.network === 'TRC20' && one.asset === 'USDT',
    );
    expect(watcher).toMatchObject({ lag_blocks: '0', confirmations_required: 2, seconds_since_moved: 0 });
    expect(watcher.head).toBe(watcher.last_scanned_block);

    // Blocks go by while nobody scans: the lag shows them, and the time since the cursor moved.
    await mine(server, 5);
    server.clock.advance(90_000);
    const behind = (await server.admin('/settlement/deposit-watchers')).body.watchers.find(
      (one: { network: string }) => one.network === 'TRC20',
    );
    expect(Number(behind.lag_blocks)).toBeGreaterThanOrEqual(5);
    expect(behind.seconds_since_moved).toBeGreaterThanOrEqual(90);
    await settleOffRamp(server);
    const again = (await server.admin('/settlement/deposit-watchers')).body.watchers.find(
      (one: { network: string }) => one.network === 'TRC20',
    );
    expect(again.lag_blocks).toBe('0');
  });
});
