import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAbiItem, parseUnits } from 'viem';
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
import { type CreatedPartner, childDatabase, createPartner, type ProofChild, startProofServe, waitUntil } from './helpers/proof-child.ts';
import { payOverHttp } from './helpers/settlement-kit.ts';
import { request } from './helpers/test-platform.ts';

/**
 * A `proof serve` node SIGKILLed right after it broadcast a buy's transfer (seen in the chain's pool:
 * anvil mines only when told here) is started again on the same data: it finds the transfer on the
 * chain by its recorded hash (after the dead node's 15 s lease) and sends nothing new. The chain
 * shows one transfer, the hot wallet one nonce used, and the buy completes.
 */

const TRANSFER = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');
const hotWallet = privateKeyToAccount(ANVIL_KEYS.hotWallet).address;

describe('a node killed right after broadcasting (proof serve child, local EVM chain)', () => {
  let anvil: LocalEvmChain;
  let clients: ChainClients;
  let token: DeployedToken;
  let node: ProofChild;
  let partner: CreatedPartner;
  let database: Awaited<ReturnType<typeof childDatabase>>;
  let env: Record<string, string>;
  const dataDir = mkdtempSync(join(tmpdir(), 'proof-settlement-crash-'));

  beforeAll(async () => {
    anvil = await startAnvil();
    clients = clientsFor(anvil.rpcUrl);
    token = await deployToken(anvil.rpcUrl);
    await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.deployer, hotWallet, parseUnits('1000', 6));
    database = await childDatabase();
    env = {
      ...database.env,
      DATA_DIR: dataDir,
      SANDBOX_KYC_DELAY: '0',
      SANDBOX_PAYMENT_DELAY: '0',
      SETTLEMENT_POLL_INTERVAL: '200ms',
      EVM_RPC_URL_ERC20: anvil.rpcUrl,
      EVM_CHAIN_ID_ERC20: String(ANVIL_CHAIN_ID),
      EVM_TOKEN_USDT_ERC20: token.address,
      HOT_WALLET_PRIVATE_KEY: ANVIL_KEYS.hotWallet,
      CONFIRMATIONS_ERC20: '2',
    };
    node = await startProofServe(env);
    partner = await createPartner(node.url, 'https://partner.example/hooks');
  }, 90_000);

  afterAll(async () => {
    await node?.kill();
    await anvil?.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('does not send again after a restart; the one transfer completes the buy', { timeout: 120_000 }, async () => {
    // Transfers wait in anvil's pool from now on: the kill lands while the node may still be recording.
    await clients.testClient.setAutomine(false);
    const { merchantTransactionId } = await payOverHttp(node.url, partner.client_token, { network: 'ERC20', amount: '42' });
    const pendingNonce = () => clients.publicClient.getTransactionCount({ address: hotWallet, blockTag: 'pending' });
    await waitUntil(
      async () => (await pendingNonce()) === 1,
      30_000,
      () => `no transfer broadcast:\n${node.output()}`,
      5,
    );
    await node.kill();

    node = await startProofServe(env, node.port);
    // The restarted node waits out the dead one's lease, then finds the transfer in the pool; then it is mined.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await clients.testClient.setAutomine(true);
    await clients.testClient.mine({ blocks: 2 });
    const read = () => request(`${node.url}/widget/transactions/${merchantTransactionId}`, { token: partner.client_token });
    await waitUntil(
      async () => (await read()).body.status === 'completed',
      60_000,
      () => `not completed:\n${node.output()}`,
      200,
    );

    const completed = (await read()).body;
    expect(completed).toMatchObject({ status: 'completed', crypto_amount: '42', tx_hash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(await clients.publicClient.getTransactionCount({ address: hotWallet, blockTag: 'pending' })).toBe(1);
    const logs = await clients.publicClient.getLogs({ address: token.address, event: TRANSFER, args: { from: hotWallet }, fromBlock: 0n });
    expect(logs.map((log) => [log.transactionHash, log.args.value])).toEqual([[completed.tx_hash, 42_000_000n]]);
    const transfers = await request(`${node.url}/admin/settlement/transfers?status=confirmed`, { token: env.ADMIN_TOKEN! });
    expect(transfers.body.transfers).toEqual([expect.objectContaining({ tx_hash: completed.tx_hash, nonce: '0' })]);
  });
});
