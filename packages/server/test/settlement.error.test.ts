import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../src/lib/provider-error.ts';
import type { Chains } from '../src/modules/settlement/chain-adapter.ts';
import { ChainRegistry } from '../src/modules/settlement/chain-registry.ts';
import { SettlementWorker } from '../src/modules/settlement/settlement-worker.ts';
import { FakeChain } from './fakes/fake-chain.ts';
import { logCollector } from './helpers/log-collector.ts';
import { attemptsOf, settle } from './helpers/payments-kit.ts';
import { payBuy, replaceChain, SETTLEMENT_ENV, statusHistory, transferOf } from './helpers/settlement-kit.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Transfers that cannot go through as planned, on an in-memory chain (test/fakes/fake-chain.ts) that
 * can revert a transfer, refuse one for now or for good, fail, or see another holder of the hot
 * wallet's key use a nonce. A transfer that cannot succeed is refunded through the payments module
 * and the buy fails with delivery_failed; everything else waits (with an alert) and completes.
 */

const USDT = (whole: number) => BigInt(whole) * 1_000_000n;

describe('buy settlement when the chain says no', () => {
  const logs = logCollector('warn');
  const server = useServerWithPartner({ background: true, env: SETTLEMENT_ENV, platformOptions: { logger: logs.logger } });
  let worker: SettlementWorker;
  const drain = () => worker.drain();
  const pass = async (ms: number) => {
    server.clock.advance(ms);
    await drain();
  };

  beforeAll(async () => {
    await server.background!.settlement.stop();
    worker = new SettlementWorker(server.platform);
  });

  /** A fresh chain for ERC20 with a hot wallet of its own (so nonces start at 0), holding 1,000 USDT. */
  function useFakeChain(options: { confirmations?: number; automine?: boolean } = {}): FakeChain {
    const chain = new FakeChain({ network: 'ERC20', wallet: `0x${randomBytes(20).toString('hex')}`, balances: { USDT: USDT(1000) } });
    chain.automine = options.automine ?? true;
    replaceChain(server, 'ERC20', () => chain, options.confirmations ?? 1);
    return chain;
  }

  const buyOnErc20 = () => payBuy(server, { network: 'ERC20' });
  const openAlerts = async (kind: string) => (await server.admin(`/settlement/alerts?kind=${kind}`)).body.alerts as any[];

  it('reverted on chain: the payment is refunded and recorded, the buy fails with delivery_failed', async () => {
    const chain = useFakeChain();
    const buy = await buyOnErc20();
    const queued = await transferOf(server, buy.id);
    chain.revertTo.add(queued.to_address);
    await drain();

    const transfer = await transferOf(server, buy.id);
    expect(transfer).toMatchObject({ status: 'failed', failure: 'reverted', nonce: '0', refund_requested_at: expect.any(Date) });
    expect(transfer.failure_detail).toMatch(/^reverted in block 1 /);
    expect(chain.deliveredTo(queued.to_address)).toEqual([]);
    expect((await server.getTransaction(buy.merchantTransactionId)).body).toMatchObject({
      status: 'failed',
      failure_reason: 'delivery_failed',
    });
    expect(await statusHistory(server, buy.id)).toEqual([
      { status: 'processing', reason: 'payment_captured', tx_hash: null },
      { status: 'failed', reason: 'delivery_failed', tx_hash: null },
    ]);
    const [attempt] = await attemptsOf(server, buy.merchantTransactionId);
    expect(attempt).toMatchObject({
      refund_reason: 'delivery_failed',
      refund_requested_at: expect.any(Date),
      provider_refund_id: expect.any(String),
    });
    // The provider's "refunded" callback completes it.
    await settle(server);
    expect((await attemptsOf(server, buy.merchantTransactionId))[0]).toMatchObject({ status: 'refunded', refunded_at: expect.any(Date) });
    expect(await openAlerts('transfer_failed')).toContainEqual(
      expect.objectContaining({ transfer_id: transfer.id, network: 'ERC20', message: expect.stringContaining('reverted') }),
    );
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'a transfer cannot succeed; refunding its payment',
        transferId: transfer.id,
        failure: 'reverted',
      }),
    );
    // Final: nothing changes on later rounds.
    await pass(60_000);
    expect(await statusHistory(server, buy.id)).toHaveLength(2);
  });

  it('refused for good by the node with its nonce still free: refunded, and the nonce goes to the next transfer', async () => {
    const chain = useFakeChain();
    chain.refuseNextBroadcast = new ProviderError({
      provider: chain.name,
      kind: 'rejected',
      retryable: false,
      message: 'malformed transaction',
    });
    const first = await buyOnErc20();
    await drain();
    expect(await transferOf(server, first.id)).toMatchObject({ status: 'failed', failure: 'rejected', nonce: null, from_address: null });
    expect((await server.getTransaction(first.merchantTransactionId)).body).toMatchObject({
      status: 'failed',
      failure_reason: 'delivery_failed',
    });

    const second = await buyOnErc20();
    await drain();
    expect(await transferOf(server, second.id)).toMatchObject({ status: 'confirmed', nonce: '0' });
    expect(chain.signatures.map((signature) => signature.nonce)).toEqual([0n, 0n]);
  });

  it('a refused nonce below others is kept and filled by the next transfer, so none waits behind a gap', async () => {
    const chain = useFakeChain({ automine: false });
    const a = await buyOnErc20();
    const b = await buyOnErc20();
    await drain();
    const sentA = await transferOf(server, a.id);
    const sentB = await transferOf(server, b.id);
    expect([sentA.nonce, sentB.nonce].sort()).toEqual(['0', '1']);
    const [low, high] = sentA.nonce === '0' ? [a, b] : [b, a];
    const lowTransfer = await transferOf(server, low.id);

    // The node forgets the lower one, and refuses its bytes for good when they come again.
    chain.dropFromPool(lowTransfer.tx_hash!);
    chain.refuseNextBroadcast = new ProviderError({ provider: chain.name, kind: 'rejected', retryable: false, message: 'invalid sender' });
    await server.admin(`/settlement/transfers/${lowTransfer.id}/retry`, { method: 'POST' });
    await drain();
    expect(await transferOf(server, low.id)).toMatchObject({ status: 'failed', failure: 'rejected', nonce: null });

    const c = await buyOnErc20();
    await drain();
    expect(await transferOf(server, c.id)).toMatchObject({ status: 'broadcast', nonce: '0' });
    chain.mine();
    await pass(2_000);
    expect(await transferOf(server, c.id)).toMatchObject({ status: 'confirmed' });
    expect(await transferOf(server, high.id)).toMatchObject({ status: 'confirmed', nonce: '1' });
  });

  it('refused by the signer for good (before any nonce is used): refunded, the nonce given back', async () => {
    const chain = useFakeChain();
    chain.refuseNextSign = new ProviderError({ provider: chain.name, kind: 'rejected', message: 'USDT is not carried on ERC20 here' });
    const buy = await buyOnErc20();
    await drain();
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'failed', failure: 'rejected', nonce: null, tx_hash: null });
    expect((await server.getTransaction(buy.merchantTransactionId)).body.failure_reason).toBe('delivery_failed');
    const next = await buyOnErc20();
    await drain();
    expect(await transferOf(server, next.id)).toMatchObject({ status: 'confirmed', nonce: '0' });
  });

  it('refused for now (the fee cannot be paid yet): an alert, the same bytes again later, completed', async () => {
    const chain = useFakeChain();
    chain.refuseNextBroadcast = new ProviderError({
      provider: chain.name,
      kind: 'rejected',
      retryable: true,
      message: 'insufficient funds for gas * price + value',
    });
    const buy = await buyOnErc20();
    await drain();
    const waiting = await transferOf(server, buy.id);
    expect(waiting).toMatchObject({ status: 'signed', last_error: expect.stringContaining('insufficient funds for gas') });
    expect(await openAlerts('broadcast_refused')).toContainEqual(expect.objectContaining({ transfer_id: waiting.id }));
    await pass(60_000);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed', tx_hash: waiting.tx_hash });
    expect(chain.signatures).toHaveLength(1);
    expect(await openAlerts('broadcast_refused')).toEqual([]);
    expect((await server.getTransaction(buy.merchantTransactionId)).body).toMatchObject({ status: 'completed', tx_hash: waiting.tx_hash });
  });

  it('a node that keeps failing: retried with growing waits, an alert after five rounds, completed once it answers', async () => {
    const chain = useFakeChain();
    chain.down = true;
    const buy = await buyOnErc20();
    await drain();
    for (const wait of [1_000, 5_000, 15_000, 60_000]) await pass(wait);
    const failing = await transferOf(server, buy.id);
    expect(failing).toMatchObject({ status: 'queued', errors: 5, last_error: 'the node does not answer' });
    expect(await openAlerts('chain_unavailable')).toContainEqual(expect.objectContaining({ transfer_id: failing.id }));
    // The next try is five minutes away.
    expect(failing.next_attempt_at.getTime() - server.clock.now().getTime()).toBe(300_000);

    chain.down = false;
    await pass(300_000);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed', errors: 0, last_error: null });
    expect(await openAlerts('chain_unavailable')).toEqual([]);
  });

  it('a nonce used by a transaction the platform did not sign: alert, signed again once that is final, delivered once', async () => {
    const chain = useFakeChain({ confirmations: 2 });
    // The first broadcast does not arrive: the transfer stays signed with nonce 0.
    chain.refuseNextBroadcast = new ProviderError({ provider: chain.name, kind: 'unavailable', message: 'timeout' });
    const buy = await buyOnErc20();
    await drain();
    const signed = await transferOf(server, buy.id);
    expect(signed).toMatchObject({ status: 'signed', nonce: '0' });

    // Someone else with the hot wallet's key sends with nonce 0; it is mined.
    chain.sendForeign('USDT', '0x00000000000000000000000000000000000000bb', 1n);
    await pass(1_000);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'signed', nonce: '0', nonce_lost_at_head: '1' });
    expect(await openAlerts('nonce_consumed')).toContainEqual(expect.objectContaining({ transfer_id: signed.id }));

    chain.mine();
    await pass(2_000);
    const again = await transferOf(server, buy.id);
    expect(again).toMatchObject({ status: 'mined', nonce: '1' });
    expect(again.tx_hash).not.toBe(signed.tx_hash);
    chain.mine();
    await pass(2_000);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed', nonce: '1' });
    expect(chain.deliveredTo(signed.to_address)).toEqual([{ hash: again.tx_hash, amount: BigInt(signed.amount_minor) }]);
  });

  it('the network lost its chain adapter after the buy was paid: nothing can be sent, so the payment is refunded and the buy fails', async () => {
    // (A new session on such a network is refused before anyone pays: sessions check it.)
    const previous = server.platform.providers.chains;
    const buy = await buyOnErc20();
    const trc20 = previous.chainFor('TRC20');
    server.platform.providers.chains = new ChainRegistry({ adapters: { TRC20: trc20 }, confirmations: { TRC20: 2 } }) satisfies Chains;
    try {
      await drain();
      expect(await transferOf(server, buy.id)).toMatchObject({
        status: 'failed',
        failure: 'rejected',
        failure_detail: expect.stringContaining('CHAIN_ADAPTER_ERC20'),
      });
      expect((await server.getTransaction(buy.merchantTransactionId)).body.failure_reason).toBe('delivery_failed');
      expect((await attemptsOf(server, buy.merchantTransactionId))[0]).toMatchObject({ refund_reason: 'delivery_failed' });
    } finally {
      server.platform.providers.chains = previous;
    }
  });

  it('a transfer already sent whose network loses its adapter waits (it may be delivered): never refunded blind', async () => {
    const chain = useFakeChain({ automine: false });
    const buy = await buyOnErc20();
    await drain();
    const sent = await transferOf(server, buy.id);
    expect(sent.status).toBe('broadcast');
    const withErc20 = server.platform.providers.chains;
    server.platform.providers.chains = new ChainRegistry({ adapters: { TRC20: withErc20.chainFor('TRC20') }, confirmations: { TRC20: 2 } });
    try {
      await pass(2_000);
      expect(await transferOf(server, buy.id)).toMatchObject({
        status: 'broadcast',
        errors: 1,
        last_error: expect.stringContaining('ERC20'),
      });
      expect((await attemptsOf(server, buy.merchantTransactionId))[0]!.refund_reason).toBeNull();
    } finally {
      server.platform.providers.chains = withErc20;
    }
    chain.mine();
    await pass(1_000);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed', errors: 0, tx_hash: sent.tx_hash });
  });

  it('the operator can mark an alert handled (404 for one that is not open)', async () => {
    const [alert] = (await server.admin('/settlement/alerts?kind=transfer_failed')).body.alerts;
    expect((await server.admin(`/settlement/alerts/${alert.id}/resolve`, { method: 'POST' })).body).toEqual({ resolved: true });
    expect((await server.admin(`/settlement/alerts/${alert.id}/resolve`, { method: 'POST' })).status).toBe(404);
    expect((await server.admin('/settlement/alerts?state=all')).body.alerts).toContainEqual(
      expect.objectContaining({ id: alert.id, resolved_at: expect.any(String) }),
    );
  });
});
