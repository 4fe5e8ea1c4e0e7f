import { type Address, encodeAbiParameters, type Hex, keccak256, pad, parseAbiItem, parseUnits, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey } from '../src/lib/crypto.ts';
import { applyPaymentUpdate, startPayment } from '../src/modules/payments/payment-service.ts';
import { SANDBOX_CARDS, signSandboxPaymentCallback } from '../src/modules/payments/sandbox-payment-provider.ts';
import { SettlementWorker } from '../src/modules/settlement/settlement-worker.ts';
import {
  ANVIL_CHAIN_ID,
  ANVIL_KEYS,
  type ChainClients,
  clientsFor,
  type DeployedToken,
  deployToken,
  type LocalEvmChain,
  sendToken,
  startAnvil,
} from './helpers/local-evm-chain.ts';
import { attemptsOf, card, settle } from './helpers/payments-kit.ts';
import { payBuy, SETTLEMENT_ENV, statusHistory, transferOf } from './helpers/settlement-kit.ts';
import { request } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Buys delivered on a real local EVM chain: anvil (one per file, automine: each transaction in a
 * block of its own), the test USDT deployed and 100,000 of it given to the hot wallet, the EVM
 * adapter configured as an operator would (CHAIN_ADAPTER_ERC20 follows EVM_RPC_URL_ERC20), 3
 * confirmations. Blocks are mined by the test (anvil_mine); the settlement worker is drained by it.
 */

const CONFIRMATIONS = 3;
const TRANSFER = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');
const hotWallet = privateKeyToAccount(ANVIL_KEYS.hotWallet).address;

describe('settling buys on a local EVM chain', () => {
  let anvil: LocalEvmChain;
  let clients: ChainClients;
  let token: DeployedToken;
  const env: Record<string, string> = { ...SETTLEMENT_ENV, SETTLEMENT_POLL_INTERVAL: '1s' };
  // Registered before the server's own hooks: the chain must run (and env be complete) when the server starts.
  beforeAll(async () => {
    anvil = await startAnvil();
    clients = clientsFor(anvil.rpcUrl);
    token = await deployToken(anvil.rpcUrl);
    await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.deployer, hotWallet, parseUnits('100000', 6));
    Object.assign(env, {
      EVM_RPC_URL_ERC20: anvil.rpcUrl,
      EVM_CHAIN_ID_ERC20: String(ANVIL_CHAIN_ID),
      EVM_TOKEN_USDT_ERC20: token.address,
      HOT_WALLET_PRIVATE_KEY: ANVIL_KEYS.hotWallet,
      CONFIRMATIONS_ERC20: String(CONFIRMATIONS),
    });
  });
  afterAll(async () => {
    await anvil?.stop();
  });
  const server = useServerWithPartner({ background: true, env, webhookReceiver: true });
  let worker: SettlementWorker;
  const drain = () => worker.drain();
  /** The chain moves on `blocks`, and the platform's clock by the poll interval, so the worker looks again. */
  const mine = async (blocks: number) => {
    if (blocks > 0) await clients.testClient.mine({ blocks });
    server.clock.advance(1_000);
    await drain();
  };
  const tokenBalance = (owner: Address) =>
    clients.publicClient.readContract({
      address: token.address,
      abi: token.abi,
      functionName: 'balanceOf',
      args: [owner],
    }) as Promise<bigint>;
  /** Transfer logs of the test USDT from the hot wallet to `to`, as the chain has them now. */
  const transfersTo = (to: Address) =>
    clients.publicClient.getLogs({
      address: token.address,
      event: TRANSFER,
      args: { from: hotWallet, to },
      fromBlock: 0n,
      toBlock: 'latest',
    });

  beforeAll(async () => {
    await server.background!.settlement.stop();
    worker = new SettlementWorker(server.platform);
  });

  it('a buy on ERC20 completes after 3 confirmations; the recipient holds exactly the quoted amount', async () => {
    expect(server.platform.providers.chains.chainFor('ERC20').name).toBe('evm');
    const buy = await payBuy(server, { network: 'ERC20', amount: '25.5' });
    const queued = await transferOf(server, buy.id);
    const recipient = queued.to_address as Address;
    const quoted = BigInt(
      (await server.platform.db.selectFrom('transactions').select('quote_crypto_minor').where('id', '=', buy.id).executeTakeFirstOrThrow())
        .quote_crypto_minor!,
    );
    expect(quoted).toBe(25_500_000n);
    const before = await tokenBalance(recipient);

    await drain();
    const sent = await transferOf(server, buy.id);
    // Automine: in a block at once, one confirmation.
    expect(sent).toMatchObject({ status: 'mined', confirmations: 1, from_address: hotWallet });
    const receipt = await clients.publicClient.getTransactionReceipt({ hash: sent.tx_hash as Hex });
    expect(receipt).toMatchObject({ status: 'success', from: hotWallet.toLowerCase(), to: token.address.toLowerCase() });
    expect((await server.getTransaction(buy.merchantTransactionId)).body.status).toBe('processing');

    await mine(1);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'mined', confirmations: 2 });
    await mine(1);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed', confirmations: 3 });
    expect((await server.getTransaction(buy.merchantTransactionId)).body).toMatchObject({
      status: 'completed',
      crypto_amount: '25.5',
      tx_hash: sent.tx_hash,
    });
    expect(await statusHistory(server, buy.id)).toEqual([
      { status: 'processing', reason: 'payment_captured', tx_hash: null },
      { status: 'completed', reason: 'crypto_delivered', tx_hash: sent.tx_hash },
    ]);
    expect((await tokenBalance(recipient)) - before).toBe(quoted);
    // The partner's webhooks tell the same story, the last one naming the transfer.
    await server.background!.webhooks.drain();
    expect(server.receiver.forTransaction(buy.merchantTransactionId).map((hook) => [hook.json.status, hook.json.tx_hash])).toEqual([
      ['processing', undefined],
      ['completed', sent.tx_hash],
    ]);
    const wallets = (await server.admin('/settlement/hot-wallets')).body.hot_wallets;
    expect(wallets.find((one: { network: string }) => one.network === 'ERC20')).toMatchObject({
      address: hotWallet,
      confirmations: 3,
      balances: expect.arrayContaining([expect.objectContaining({ asset: 'USDT', balance: '99974.5' })]),
    });
  });

  it('100 concurrent duplicate "payment captured" events (the callback route and direct) make one transfer on chain', async () => {
    const merchantTransactionId = await server.newSession({ network: 'ERC20', amount: '10', partner_user_id: 'captured-often' });
    const who = { partnerId: server.partner.partner_id, merchantTransactionId };
    await startPayment(server.platform, { ...who, source: card(SANDBOX_CARDS.success) });
    const [attempt] = await attemptsOf(server, merchantTransactionId);
    const key = deriveKey(server.signingSecret, 'sandbox-payments-callbacks');
    const viaRoute = (eventId: string) => {
      const created = Math.floor(server.clock.now().getTime() / 1000);
      const body = JSON.stringify({
        id: eventId,
        type: 'payment.captured',
        created,
        data: { payment: attempt!.provider_payment_id, reference: attempt!.id, method: 'card' },
      });
      return request(`${server.url}/providers/sandbox-payments/callbacks`, {
        rawBody: body,
        headers: { 'content-type': 'application/json', 'proof-sandbox-signature': signSandboxPaymentCallback(key, created, body) },
      });
    };
    const direct = (i: number) =>
      applyPaymentUpdate(server.platform, {
        kind: 'payment.update',
        eventId: `direct_${i}`,
        providerPaymentId: attempt!.provider_payment_id!,
        outcome: 'captured',
        reference: attempt!.id,
      });
    const workers = [worker, new SettlementWorker(server.platform), new SettlementWorker(server.platform)];
    await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? viaRoute(i % 4 === 0 ? 'sbevt_same' : `sbevt_${i}`) : direct(i))),
      ...workers.map((one) => one.drain()),
      server.background!.callbacks.drain(),
    ]);
    await settle(server);
    await Promise.all(workers.map((one) => one.drain()));
    const { id } = await server.platform.db
      .selectFrom('transactions')
      .select('id')
      .where('merchant_transaction_id', '=', merchantTransactionId)
      .executeTakeFirstOrThrow();
    const transfer = await transferOf(server, id);
    await mine(CONFIRMATIONS);
    expect(await transferOf(server, id)).toMatchObject({ status: 'confirmed' });
    const onChain = (await transfersTo(transfer.to_address as Address)).filter((log) => log.args.value === 10_000_000n);
    expect(onChain.filter((log) => log.transactionHash === transfer.tx_hash)).toHaveLength(1);
    // Every 10 USDT transfer to that address from the hot wallet is this one.
    expect(onChain.map((log) => log.transactionHash)).toEqual([transfer.tx_hash]);
    const events = await server.platform.db.selectFrom('transaction_events').select('status').where('transaction_id', '=', id).execute();
    expect(events.map((event) => event.status)).toEqual(['processing', 'completed']);
  });

  it('a snapshot reverted below the confirmation depth: no completion until the transfer is confirmed again', async () => {
    const buy = await payBuy(server, { network: 'ERC20', amount: '17' });
    const recipient = (await transferOf(server, buy.id)).to_address as Address;
    const before = await tokenBalance(recipient);
    const snapshot = await clients.testClient.snapshot();
    await drain();
    await mine(1);
    const mined = await transferOf(server, buy.id);
    expect(mined).toMatchObject({ status: 'mined', confirmations: 2 });

    // The chain goes back to before the transfer: its block, and the block on top, are gone.
    await clients.testClient.revert({ id: snapshot });
    expect(await clients.publicClient.getTransactionReceipt({ hash: mined.tx_hash as Hex }).catch(() => null)).toBeNull();
    await mine(0);
    // Unknown with its nonce free: the same signed bytes went out again (automine: one confirmation).
    const again = await transferOf(server, buy.id);
    expect(again).toMatchObject({ tx_hash: mined.tx_hash, nonce: mined.nonce });
    expect(['broadcast', 'mined']).toContain(again.status);
    expect((await server.getTransaction(buy.merchantTransactionId)).body.status).toBe('processing');
    await mine(0);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'mined', confirmations: 1 });
    await mine(1);
    expect((await server.getTransaction(buy.merchantTransactionId)).body.status).toBe('processing');
    await mine(1);
    expect(await transferOf(server, buy.id)).toMatchObject({ status: 'confirmed', confirmations: 3, tx_hash: mined.tx_hash });
    expect((await tokenBalance(recipient)) - before).toBe(17_000_000n);
    expect((await transfersTo(recipient)).filter((log) => log.transactionHash === mined.tx_hash)).toHaveLength(1);
  });

  it('reverted on chain (the token balance gone before it was mined): refunded, the buy fails with delivery_failed', async () => {
    const buy = await payBuy(server, { network: 'ERC20', amount: '30' });
    await clients.testClient.setAutomine(false);
    // TestUSDT keeps balanceOf in storage slot 1: the hot wallet's entry is at keccak256(abi.encode(owner, 1)).
    const slot = keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [hotWallet, 1n]));
    const held = await tokenBalance(hotWallet);
    try {
      await drain();
      const sent = await transferOf(server, buy.id);
      expect(sent).toMatchObject({ status: 'broadcast' });
      await clients.testClient.setStorageAt({ address: token.address, index: slot, value: pad(toHex(0n)) });
      await clients.testClient.mine({ blocks: CONFIRMATIONS });
      await mine(0);
      const receipt = await clients.publicClient.getTransactionReceipt({ hash: sent.tx_hash as Hex });
      expect(receipt.status).toBe('reverted');
      expect(await transferOf(server, buy.id)).toMatchObject({
        status: 'failed',
        failure: 'reverted',
        refund_requested_at: expect.any(Date),
      });
      expect((await server.getTransaction(buy.merchantTransactionId)).body).toMatchObject({
        status: 'failed',
        failure_reason: 'delivery_failed',
      });
      expect((await attemptsOf(server, buy.merchantTransactionId))[0]).toMatchObject({ refund_reason: 'delivery_failed' });
      expect(await statusHistory(server, buy.id)).toEqual([
        { status: 'processing', reason: 'payment_captured', tx_hash: null },
        { status: 'failed', reason: 'delivery_failed', tx_hash: null },
      ]);
    } finally {
      await clients.testClient.setAutomine(true);
      await clients.testClient.setStorageAt({ address: token.address, index: slot, value: pad(toHex(held)) });
    }
  });
});
