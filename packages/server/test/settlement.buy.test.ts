import { beforeAll, describe, expect, it } from 'vitest';
import type { Network } from '../src/lib/catalog.ts';
import { applyPaymentUpdate } from '../src/modules/payments/payment-service.ts';
import type { ChainAdapter } from '../src/modules/settlement/chain-adapter.ts';
import { dropSandboxTransfer, reorgSandboxChain, sendSandboxDeposit } from '../src/modules/settlement/sandbox-chain-tools.ts';
import { createTransferIntent } from '../src/modules/settlement/settlement-service.ts';
import { SettlementWorker } from '../src/modules/settlement/settlement-worker.ts';
import { lockTransaction } from '../src/modules/transactions/transaction-store.ts';
import { logCollector } from './helpers/log-collector.ts';
import { attemptsOf } from './helpers/payments-kit.ts';
import {
  never,
  type PaidBuy,
  payBuy,
  replaceChain,
  SETTLEMENT_ENV,
  statusHistory,
  transferOf,
  transfersOf,
} from './helpers/settlement-kit.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Buys paid through the sandbox payment provider's real callbacks and delivered on the sandbox chain
 * (blocks follow the platform clock: one per SANDBOX_BLOCK_TIME = 10 s; 2 confirmations), by the
 * settlement worker driven by the test (the background one is stopped so nothing runs unseen).
 * Crashes are made by a chain decorator whose call never returns: that worker is abandoned mid-round,
 * as a killed process would be, and another takes the transfer over once the lease (15 s) has run out.
 */

const BLOCK = 10_000;
const LEASE_PASSED = 16_000;

describe('settling buys on the sandbox chain', () => {
  const logs = logCollector('warn');
  const server = useServerWithPartner({
    background: true,
    webhookReceiver: true,
    env: SETTLEMENT_ENV,
    platformOptions: { logger: logs.logger },
  });
  let worker: SettlementWorker;
  const drain = () => worker.drain();
  const pass = async (ms: number) => {
    server.clock.advance(ms);
    await drain();
  };
  const chain = (network: Network = 'TRC20') => server.platform.providers.chains.chainFor(network);

  beforeAll(async () => {
    await server.background!.settlement.stop();
    worker = new SettlementWorker(server.platform);
  });

  it('a paid buy is sent, completes after 2 confirmations with its tx_hash in the history, the view and the webhook', async () => {
    const buy = await payBuy(server);
    expect(await transferOf(server, buy.id)).toMatchObject({
      status: 'queued',
      network: 'TRC20',
      asset: 'USDT',
      amount_minor: '100000000',
    });

    await drain();
    const sent = await transferOf(server, buy.id);
    expect(sent).toMatchObject({ status: 'broadcast', nonce: expect.any(String), tx_hash: expect.any(String), raw_tx: expect.any(String) });
    expect((await server.getTransaction(buy.merchantTransactionId)).body.status).toBe('processing');
    expect(await chain().transferStatus({ network: 'TRC20', hash: sent.tx_hash! })).toEqual({ state: 'pending' });

    await pass(BLOCK);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'mined', confirmations: 1 });
    expect((await server.getTransaction(buy.merchantTransactionId)).body).not.toHaveProperty('tx_hash');

    await pass(BLOCK);
    const done = await transferOf(server, buy.id);
    expect(done).toMatchObject({ status: 'confirmed', confirmations: 2, tx_hash: sent.tx_hash, confirmed_at: expect.any(Date) });
    const read = await server.getTransaction(buy.merchantTransactionId);
    expect(read.body).toMatchObject({ status: 'completed', crypto_amount: '100', tx_hash: sent.tx_hash });
    expect(await statusHistory(server, buy.id)).toEqual([
      { status: 'processing', reason: 'payment_captured', tx_hash: null },
      { status: 'completed', reason: 'crypto_delivered', tx_hash: sent.tx_hash },
    ]);
    await server.background!.webhooks.drain();
    const hooks = server.receiver.forTransaction(buy.merchantTransactionId).map((hook) => hook.json);
    expect(hooks.map((hook) => [hook.status, hook.tx_hash])).toEqual([
      ['processing', undefined],
      ['completed', sent.tx_hash],
    ]);
    const mined = await chain().transferStatus({ network: 'TRC20', hash: sent.tx_hash! });
    expect(mined).toMatchObject({ state: 'mined', success: true });
    // Nothing more happens to a confirmed transfer.
    await pass(BLOCK);
    expect(await statusHistory(server, buy.id)).toHaveLength(2);
  });

  it('duplicate and concurrent triggers make one transfer and one signature', async () => {
    const buy = await payBuy(server);
    const before = await sendsTo(buy);
    const [attempt] = await attemptsOf(server, buy.merchantTransactionId);
    const captured = {
      kind: 'payment.update' as const,
      eventId: 'sbevt_again',
      providerPaymentId: attempt!.provider_payment_id!,
      outcome: 'captured' as const,
      reference: attempt!.id,
    };
    const row = await server.platform.db.transaction().execute(async (trx) => (await lockTransaction(trx, { id: buy.id }))!);
    const created = await Promise.all([
      ...Array.from({ length: 25 }, (_, i) => applyPaymentUpdate(server.platform, { ...captured, eventId: `sbevt_again_${i}` })),
      ...Array.from({ length: 25 }, () =>
        server.platform.db.transaction().execute(async (trx) => (await createTransferIntent(server.platform, trx, row))!.id),
      ),
      worker.drain(),
      new SettlementWorker(server.platform).drain(),
    ]);
    const ids = new Set(created.filter((value): value is string => typeof value === 'string'));
    expect(ids.size).toBe(1);
    const [transfer, ...others] = await transfersOf(server, buy.id);
    expect(others).toEqual([]);
    expect([...ids][0]).toBe(transfer!.id);
    await drain();
    await pass(2 * BLOCK);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed' });
    expect(await sendsTo(buy)).toBe(before + 1);
    expect(await statusHistory(server, buy.id)).toEqual([
      { status: 'processing', reason: 'payment_captured', tx_hash: null },
      { status: 'completed', reason: 'crypto_delivered', tx_hash: transfer!.tx_hash ?? expect.any(String) },
    ]);
  });

  it('a crash between signing and broadcasting: the next worker sends the same bytes, once', async () => {
    const buy = await payBuy(server);
    const before = await sendsTo(buy);
    let signatures = 0;
    const dying = deferred();
    withChain('TRC20', (real) => ({
      signTransfer: async (request) => {
        signatures++;
        return real.signTransfer(request);
      },
      // The process dies before the bytes leave it.
      broadcast: () => {
        dying.resolve();
        return never();
      },
    }));
    void worker.drain();
    await dying.promise;
    const signed = await transferOf(server, buy.id);
    expect(signed).toMatchObject({ status: 'signed', tx_hash: expect.any(String) });
    expect(await chain().transferStatus({ network: 'TRC20', hash: signed.tx_hash! })).toEqual({ state: 'unknown' });

    restoreChain('TRC20');
    worker = new SettlementWorker(server.platform);
    await pass(LEASE_PASSED);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'broadcast', tx_hash: signed.tx_hash, raw_tx: signed.raw_tx });
    await pass(2 * BLOCK);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed', tx_hash: signed.tx_hash });
    expect(signatures).toBe(1);
    expect(await sendsTo(buy)).toBe(before + 1);
    expect((await server.getTransaction(buy.merchantTransactionId)).body).toMatchObject({ status: 'completed', tx_hash: signed.tx_hash });
  });

  it('a crash between broadcasting and recording it: the next worker finds it on the chain and sends nothing new', async () => {
    const buy = await payBuy(server);
    const before = await sendsTo(buy);
    let signatures = 0;
    const dying = deferred();
    withChain('TRC20', (real) => ({
      signTransfer: async (request) => {
        signatures++;
        return real.signTransfer(request);
      },
      // The bytes leave, then the process dies before it writes down that they did.
      broadcast: async (request) => {
        await real.broadcast(request);
        dying.resolve();
        return never();
      },
    }));
    void worker.drain();
    await dying.promise;
    const signed = await transferOf(server, buy.id);
    expect(signed.status).toBe('signed');
    expect(await chain().transferStatus({ network: 'TRC20', hash: signed.tx_hash! })).toEqual({ state: 'pending' });

    restoreChain('TRC20');
    const counting = withChain('TRC20', () => ({}));
    worker = new SettlementWorker(server.platform);
    await pass(LEASE_PASSED);
    // The lease ran out during 16 s of clock: the transfer is in a block by then (one or two deep), so it is only recorded.
    const found = await transferOf(server, buy.id);
    expect(found).toMatchObject({ tx_hash: signed.tx_hash, mined_block: expect.any(String) });
    expect(['mined', 'confirmed']).toContain(found.status);
    expect(counting.calls.broadcast ?? 0).toBe(0);
    await pass(BLOCK);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed' });
    expect(signatures).toBe(1);
    expect(counting.calls.signTransfer ?? 0).toBe(0);
    expect(await sendsTo(buy)).toBe(before + 1);
    restoreChain('TRC20');
  });

  it('a reorganisation below the depth sends the transfer back to waiting; it completes once confirmed again', async () => {
    const buy = await payBuy(server);
    await drain();
    await pass(BLOCK);
    const mined = await transferOf(server, buy.id);
    expect(mined).toMatchObject({ status: 'mined', confirmations: 1 });

    // The block it was in is replaced; the chain puts the transfer into the next block.
    await reorgSandboxChain(server.platform, { network: 'TRC20', depth: 1 });
    await lookAgain(mined.id);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'broadcast', mined_block: null, confirmations: 0 });
    expect((await server.getTransaction(buy.merchantTransactionId)).body.status).toBe('processing');
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ msg: 'a reorganisation moved a transfer out of its block; waiting for it again' }),
    );

    await pass(BLOCK);
    const again = await transferOf(server, buy.id);
    expect(again).toMatchObject({ status: 'mined', confirmations: 1 });
    expect(again.mined_block_hash).not.toBe(mined.mined_block_hash);
    await pass(BLOCK);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed', tx_hash: mined.tx_hash });
    expect(await statusHistory(server, buy.id)).toEqual([
      { status: 'processing', reason: 'payment_captured', tx_hash: null },
      { status: 'completed', reason: 'crypto_delivered', tx_hash: mined.tx_hash },
    ]);
  });

  it('a transfer the reorganisation dropped is sent again with the same bytes, not signed anew', async () => {
    const buy = await payBuy(server);
    await drain();
    await pass(BLOCK);
    const mined = await transferOf(server, buy.id);
    expect(mined.status).toBe('mined');
    const before = await sendsTo(buy);
    await reorgSandboxChain(server.platform, { network: 'TRC20', depth: 1, dropTransfers: true });
    expect(await chain().transferStatus({ network: 'TRC20', hash: mined.tx_hash! })).toEqual({ state: 'unknown' });
    await lookAgain(mined.id);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'broadcast', tx_hash: mined.tx_hash, nonce: mined.nonce });
    await pass(2 * BLOCK);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed', tx_hash: mined.tx_hash });
    expect(await sendsTo(buy)).toBe(before);
  });

  it('a pending transfer the node forgot is sent again with the same bytes', async () => {
    const buy = await payBuy(server);
    await drain();
    const sent = await transferOf(server, buy.id);
    await dropSandboxTransfer(server.platform, { network: 'TRC20', hash: sent.tx_hash! });
    await pass(BLOCK);
    // Looked at after the poll interval: unknown, its nonce free, so the same bytes go out again.
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'broadcast', tx_hash: sent.tx_hash });
    await pass(2 * BLOCK);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed', tx_hash: sent.tx_hash });
  });

  it('a hot wallet that cannot cover the transfer: an alert and an error line, the buy stays processing, and completes once funded', async () => {
    // Another holder of the BEP20 hot wallet's key empties it first (all but 50 USDT).
    const bep20 = chain('BEP20');
    const wallet = bep20.hotWalletAddress({ network: 'BEP20' });
    const balance = await bep20.balance({ network: 'BEP20', asset: 'USDT' });
    const nonce = await bep20.minedNonce({ network: 'BEP20' });
    const drainOut = await bep20.signTransfer({
      network: 'BEP20',
      asset: 'USDT',
      to: '0x000000000000000000000000000000000000dEaD',
      amountMinor: balance - 50_000_000n,
      nonce,
    });
    await bep20.broadcast({ network: 'BEP20', raw: drainOut.raw });
    server.clock.advance(BLOCK);
    expect(await bep20.balance({ network: 'BEP20', asset: 'USDT' })).toBe(50_000_000n);

    const buy = await payBuy(server, { network: 'BEP20' });
    await drain();
    const waiting = await transferOf(server, buy.id);
    expect(waiting).toMatchObject({ status: 'queued', nonce: null, last_error: 'insufficient funds in the hot wallet' });
    expect((await server.getTransaction(buy.merchantTransactionId)).body.status).toBe('processing');
    const alerts = (await server.admin('/settlement/alerts')).body.alerts;
    expect(alerts).toContainEqual(
      expect.objectContaining({
        kind: 'insufficient_funds',
        network: 'BEP20',
        asset: 'USDT',
        wallet_address: wallet,
        transfer_id: waiting.id,
        occurrences: 1,
      }),
    );
    const alert = alerts.find((one: { transfer_id: string }) => one.transfer_id === waiting.id);
    expect(alert.message).toContain('holds 50 USDT');
    expect(alert.message).toContain('needs 100 USDT');
    const line = logs.lines.find((one) => one.msg === 'hot wallet cannot cover a transfer; it waits for funds');
    expect(line).toMatchObject({
      level: 50,
      transferId: waiting.id,
      network: 'BEP20',
      wallet,
      balanceMinor: '50000000',
      neededMinor: '100000000',
    });
    expect(JSON.stringify(line)).not.toMatch(/raw|private|secret/i);
    const wallets = (await server.admin('/settlement/hot-wallets')).body.hot_wallets;
    expect(wallets.find((one: { network: string }) => one.network === 'BEP20')).toMatchObject({
      address: wallet,
      confirmations: 2,
      balances: expect.arrayContaining([{ asset: 'USDT', balance: '50', balance_minor: '50000000' }]),
      transfers: expect.objectContaining({ queued: 1 }),
    });

    // Tried again after SETTLEMENT_RETRY: still short, the same alert counts up.
    await pass(60_000);
    expect((await server.admin('/settlement/alerts?kind=insufficient_funds')).body.alerts).toContainEqual(
      expect.objectContaining({ transfer_id: waiting.id, occurrences: 2 }),
    );

    // The operator funds the wallet and asks for the transfer now.
    await sendSandboxDeposit(server.platform, { network: 'BEP20', asset: 'USDT', to: wallet, amountMinor: 1_000_000_000n });
    server.clock.advance(BLOCK);
    expect((await server.admin(`/settlement/transfers/${waiting.id}/retry`, { method: 'POST' })).body).toEqual({ retried: true });
    await drain();
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'broadcast', last_error: null });
    expect((await server.admin('/settlement/alerts?kind=insufficient_funds')).body.alerts).toEqual([]);
    const resolved = (await server.admin('/settlement/alerts?state=resolved')).body.alerts;
    expect(resolved).toContainEqual(expect.objectContaining({ transfer_id: waiting.id, resolved_at: expect.any(String) }));
    await pass(2 * BLOCK);
    expect((await server.getTransaction(buy.merchantTransactionId)).body).toMatchObject({
      status: 'completed',
      tx_hash: expect.any(String),
    });
  });

  it('the admin API lists transfers without their signed bytes', async () => {
    const listed = (await server.admin('/settlement/transfers?status=confirmed&limit=2')).body.transfers;
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({ status: 'confirmed', tx_hash: expect.any(String), nonce: expect.any(String) });
    expect(listed[0]).not.toHaveProperty('raw_tx');
    expect((await server.admin('/settlement/transfers/trf_nope/retry', { method: 'POST' })).status).toBe(404);
  });

  // ---------------------------------------------------------------- helpers

  /** How many transfers the sandbox chain itself carries (live, not dropped) from the hot wallet to the buy's address. */
  async function sendsTo(buy: PaidBuy): Promise<number> {
    const { to_address: to, network } = await transferOf(server, buy.id);
    const rows = await server.platform.db
      .selectFrom('sandbox_chain_transfers')
      .select('to_address')
      .where('network', '=', network)
      .where('kind', '=', 'send')
      .where('dropped_at', 'is', null)
      .execute();
    return rows.filter((row) => row.to_address.toLowerCase() === to.toLowerCase()).length;
  }

  /** Makes the transfer due now (the operator's retry) and lets the worker look, without moving the clock (no new block). */
  async function lookAgain(id: string) {
    expect((await server.admin(`/settlement/transfers/${id}/retry`, { method: 'POST' })).status).toBe(200);
    await drain();
  }

  const originals = new Map<Network, ChainAdapter>();

  /** Puts a decorator around the network's adapter (its methods replaced by `overrides`), counting the calls made through it. */
  function withChain(network: Network, overrides: (real: ChainAdapter) => Partial<ChainAdapter>) {
    const counted = { calls: {} as Record<string, number> };
    replaceChain(server, network, (current) => {
      const real = originals.get(network) ?? current!;
      originals.set(network, real);
      const own = overrides(real) as Record<string, unknown>;
      return new Proxy(real, {
        get(target, property, receiver) {
          const name = String(property);
          const value = own[name] ?? Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            counted.calls[name] = (counted.calls[name] ?? 0) + 1;
            return (value as (...a: unknown[]) => unknown).apply(own[name] ? own : target, args);
          };
        },
      });
    });
    return counted;
  }

  function restoreChain(network: Network) {
    const real = originals.get(network);
    if (real) replaceChain(server, network, () => real);
  }
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
