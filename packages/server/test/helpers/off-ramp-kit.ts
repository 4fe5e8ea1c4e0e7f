import { expect } from 'vitest';
import type { Asset, Network } from '../../src/lib/catalog.ts';
import { SANDBOX_PAYOUT_CARDS } from '../../src/modules/settlement/sandbox-payout-provider.ts';
import { EMBED_ENV, openWidget, verifyIdentity, type Widget } from './embed-kit.ts';
import { kycSandbox, payoutsSandbox } from './platform-internals.ts';
import { sessionBody } from './test-platform.ts';
import type { ServerWithPartner } from './use-server-with-partner.ts';

/**
 * What the off-ramp tests share: a verified sell with its payout card, deposits and blocks on the
 * sandbox chain through the operator's calls, and the background work driven to the end instead of
 * waited for.
 */

/** The embedded flow's environment, with payouts called back at once too. */
export const OFF_RAMP_ENV = { ...EMBED_ENV, SANDBOX_PAYOUT_DELAY: '0' };

export const payoutCard = (number: string = SANDBOX_PAYOUT_CARDS.paid) => ({
  number,
  expiry_month: 12,
  expiry_year: 2031,
  holder_name: 'Ada Lovelace',
});

/** POST /admin/sandbox/chain/deposits: `amount` (a decimal string) of the asset to `to`, mined in the next block. */
export async function sendDeposit(
  server: ServerWithPartner,
  deposit: { to: string; amount: string; network?: Network; asset?: Asset },
): Promise<{ hash: string; block_number: string }> {
  const body = { network: deposit.network ?? 'TRC20', asset: deposit.asset ?? 'USDT', to: deposit.to, amount: deposit.amount };
  const sent = await server.admin('/sandbox/chain/deposits', { body });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  return sent.body;
}

/** POST /admin/sandbox/chain/mine: `blocks` blocks on top of the sandbox chain's head. */
export async function mine(server: ServerWithPartner, blocks: number, network: Network = 'TRC20'): Promise<void> {
  const mined = await server.admin('/sandbox/chain/mine', { body: { network, blocks } });
  expect(mined.status, JSON.stringify(mined.body)).toBe(200);
}

/** POST /admin/sandbox/chain/reorg: the last `depth` blocks get new hashes, and the transfers in them are dropped. */
export async function reorg(server: ServerWithPartner, depth: number, network: Network = 'TRC20'): Promise<void> {
  const reorganised = await server.admin('/sandbox/chain/reorg', { body: { network, depth, drop_transfers: true } });
  expect(reorganised.status, JSON.stringify(reorganised.body)).toBe(200);
}

/** Runs the off-ramp worker, lets the payout sandbox call back and the callbacks worker apply it, until nothing moves. */
export async function settleOffRamp(server: ServerWithPartner): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const moved = await server.background!.offRamp.drain();
    await payoutsSandbox(server).idle();
    const applied = await server.background!.callbacks.drain();
    if (applied === 0 && Object.values(moved).every((count) => count === 0)) return;
  }
}

/** Lets the KYC sandbox decide and the callbacks worker apply its decision. */
export async function settleVerification(server: ServerWithPartner): Promise<void> {
  await kycSandbox(server).idle();
  await server.background!.callbacks.drain();
}

/** A sell session (100 USDT on TRC20 by default) opened in the widget, its user verified. */
export async function openVerifiedSell(
  server: ServerWithPartner,
  overrides: Record<string, unknown> = {},
): Promise<{ session: Record<string, any>; widget: Widget; id: string }> {
  const created = await server.createSession(sessionBody({ type: 'sell', ...overrides }));
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const session = created.body;
  const widget = await openWidget(server, session);
  if (widget.state.verification.required) {
    await verifyIdentity(widget);
    await settleVerification(server);
  }
  return { session, widget, id: session.merchant_transaction_id };
}

/** The transaction row, its history and its deposits and payout as stored. */
export async function sellRecord(server: ServerWithPartner, merchantTransactionId: string) {
  const db = server.platform.db;
  const row = await db
    .selectFrom('transactions')
    .selectAll()
    .where('partner_id', '=', server.partner.partner_id)
    .where('merchant_transaction_id', '=', merchantTransactionId)
    .executeTakeFirstOrThrow();
  const events = await db
    .selectFrom('transaction_events')
    .select(['seq', 'status', 'reason'])
    .where('transaction_id', '=', row.id)
    .orderBy('seq')
    .execute();
  const deposits = await db.selectFrom('deposits').selectAll().where('transaction_id', '=', row.id).orderBy('seen_at').execute();
  const payout = await db.selectFrom('payouts').selectAll().where('transaction_id', '=', row.id).executeTakeFirst();
  return { row, events: events.map((event) => [event.status, event.reason]), deposits, payout };
}
