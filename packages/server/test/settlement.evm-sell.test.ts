import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { type Address, type Hex, parseEther, parseUnits } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { OFF_RAMP_ENV, openVerifiedSell, payoutCard, sellRecord, settleOffRamp } from './helpers/off-ramp-kit.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * A sell on a real local EVM chain: anvil with the test USDT, the EVM adapter as an operator
 * configures it (3 confirmations), deposit addresses derived from the xpub of a wallet the test
 * holds (DEPOSIT_ADDRESS_PROVIDER=hd). A user's wallet sends the test USDT to the sell's address; the
 * watcher reads the token's Transfer logs, counts confirmations as blocks are mined, and the sell is
 * paid out and completed. The wallet behind the xpub can then move the deposit on.
 */

const CONFIRMATIONS = 3;
// The operator's receiving wallet (a public test mnemonic here); the server only ever sees its xpub.
const wallet = HDKey.fromMasterSeed(
  pbkdf2(sha512, 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about', 'mnemonic', {
    c: 2048,
    dkLen: 64,
  }),
).derive("m/44'/60'/0'");
const user = privateKeyToAccount(ANVIL_KEYS.user).address;

describe('a sell on a local EVM chain (ERC20)', () => {
  let anvil: LocalEvmChain;
  let clients: ChainClients;
  let token: DeployedToken;
  const env: Record<string, string> = { ...OFF_RAMP_ENV, DEPOSIT_ADDRESS_PROVIDER: 'hd', DEPOSIT_XPUB_EVM: wallet.publicExtendedKey };
  // Registered before the server's own hooks: the chain must run (and env be complete) when the server starts.
  beforeAll(async () => {
    anvil = await startAnvil();
    clients = clientsFor(anvil.rpcUrl);
    token = await deployToken(anvil.rpcUrl);
    await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.deployer, user, parseUnits('1000', 6));
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
  const server = useServerWithPartner({ background: true, env });

  const balanceOf = (owner: Address) =>
    clients.publicClient.readContract({
      address: token.address,
      abi: token.abi,
      functionName: 'balanceOf',
      args: [owner],
    }) as Promise<bigint>;

  it('the user sends 100 test USDT to the deposit address → 3 confirmations → processing → paid out → completed', async () => {
    expect(server.platform.providers.chains.chainFor('ERC20').name).toBe('evm');
    const { session, widget, id } = await openVerifiedSell(server, { network: 'ERC20', partner_user_id: 'evm-seller' });
    expect((await widget.call('/payout-card', { body: payoutCard() })).status).toBe(200);
    const address = session.address as Address;
    expect(widget.state.sell.deposit).toMatchObject({ address, network: 'ERC20', amount: '100', required_confirmations: CONFIRMATIONS });

    const sent = await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.user, address, parseUnits('100', 6));
    await settleOffRamp(server);
    let record = await sellRecord(server, id);
    expect(record.deposits).toMatchObject([
      { tx_hash: sent.hash, from_address: user, address, amount_minor: '100000000', confirmations: 1, status: 'unconfirmed' },
    ]);
    expect((await widget.call('/session')).body.sell.deposit).toMatchObject({ seen: true, confirmations: 1, received_amount: '100' });

    await clients.testClient.mine({ blocks: 1 });
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).deposits[0]).toMatchObject({ confirmations: 2, status: 'unconfirmed' });

    await clients.testClient.mine({ blocks: 1 });
    await settleOffRamp(server);
    record = await sellRecord(server, id);
    expect(record.events).toEqual([
      ['processing', 'deposit_confirmed'],
      ['completed', 'fiat_paid'],
    ]);
    expect(record.deposits[0]).toMatchObject({ status: 'confirmed', disposition: 'credited', block_number: String(sent.blockNumber) });
    expect(record.payout).toMatchObject({ status: 'paid', amount_minor: '9012', fiat_currency: 'EUR' });
    expect((await server.getTransaction(id)).body).toMatchObject({ status: 'completed', crypto_amount: '100', fiat_amount: '90.12' });
    expect(await balanceOf(address)).toBe(parseUnits('100', 6));

    // The receiving wallet holds the deposit address's key at the recorded index: it can move the USDT on.
    const { derivation_index: index } = await server.platform.db
      .selectFrom('deposit_addresses')
      .select('derivation_index')
      .where('address', '=', address)
      .executeTakeFirstOrThrow();
    const key = `0x${Buffer.from(wallet.deriveChild(0).deriveChild(index).privateKey!).toString('hex')}` as Hex;
    expect(privateKeyToAccount(key).address).toBe(address);
    await clients.testClient.setBalance({ address, value: parseEther('1') });
    const swept = privateKeyToAccount(ANVIL_KEYS.deployer).address;
    const before = await balanceOf(swept);
    await sendToken(anvil.rpcUrl, token, key, swept, parseUnits('100', 6));
    expect(await balanceOf(swept)).toBe(before + parseUnits('100', 6));
  });

  it('a short deposit on the EVM is priced again for what arrived', async () => {
    const { session, widget, id } = await openVerifiedSell(server, { network: 'ERC20', partner_user_id: 'evm-seller' });
    await widget.call('/payout-card', { body: payoutCard() });
    await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.user, session.address, parseUnits('60', 6));
    await clients.testClient.mine({ blocks: CONFIRMATIONS - 1 });
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.events).toEqual([
      ['processing', 'deposit_underpaid'],
      ['completed', 'fiat_paid'],
    ]);
    expect(record.payout).toMatchObject({ amount_minor: '5387' });
  });

  it('an over deposit on the EVM: the quote is paid out, the surplus held for the operator', async () => {
    const { session, widget, id } = await openVerifiedSell(server, { network: 'ERC20', partner_user_id: 'evm-seller' });
    await widget.call('/payout-card', { body: payoutCard() });
    await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.user, session.address, parseUnits('130.5', 6));
    await clients.testClient.mine({ blocks: CONFIRMATIONS - 1 });
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.events).toEqual([
      ['processing', 'deposit_confirmed'],
      ['completed', 'fiat_paid'],
    ]);
    expect(record.payout).toMatchObject({ amount_minor: '9012' });
    expect(record.deposits).toMatchObject([{ disposition: 'surplus', unpaid_minor: '30500000' }]);
    const held = await server.admin('/settlement/held-deposits?disposition=surplus');
    expect(held.body.deposits).toContainEqual(
      expect.objectContaining({ merchant_transaction_id: id, network: 'ERC20', unpaid_amount: '30.5' }),
    );
  });

  it('no deposit within the window fails the sell (deposit_expired); one sent afterwards on the EVM is recorded late, never dropped', async () => {
    const { session, widget, id } = await openVerifiedSell(server, { network: 'ERC20', partner_user_id: 'evm-seller' });
    await widget.call('/payout-card', { body: payoutCard() });
    server.clock.advance(6 * 3_600_000 + 60_000);
    await server.admin('/sandbox/jobs/expire', { method: 'POST' });
    await settleOffRamp(server);
    expect((await sellRecord(server, id)).events).toEqual([['failed', 'deposit_expired']]);

    await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.user, session.address, parseUnits('100', 6));
    await clients.testClient.mine({ blocks: CONFIRMATIONS - 1 });
    await settleOffRamp(server);
    const record = await sellRecord(server, id);
    expect(record.events).toEqual([['failed', 'deposit_expired']]);
    expect(record.deposits).toMatchObject([{ disposition: 'late', unpaid_minor: '100000000', status: 'confirmed' }]);
    expect(record.payout).toBeUndefined();
    const late = await server.admin('/settlement/late-deposits');
    expect(late.body.deposits).toContainEqual(
      expect.objectContaining({ merchant_transaction_id: id, network: 'ERC20', disposition: 'late' }),
    );
  });
});
