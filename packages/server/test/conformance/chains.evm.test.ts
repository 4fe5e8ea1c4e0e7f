import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Address, type Hex, parseUnits } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/lib/provider-error.ts';
import { parseChainSettings } from '../../src/modules/settlement/chain-settings.ts';
import { EvmChainAdapter } from '../../src/modules/settlement/evm-chain-adapter.ts';
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
} from '../helpers/local-evm-chain.ts';
import { freePort } from '../helpers/net.ts';
import { type ChainKit, describeChainAdapter, randomAddress } from './chains.ts';

/**
 * The EVM adapter on a real local chain: one anvil for this file (a free port, stopped in afterAll),
 * the test USDT deployed and 100,000 of it given to the hot wallet; each test starts from a fresh
 * snapshot and returns to it.
 */

let anvil: LocalEvmChain;
let clients: ChainClients;
let token: DeployedToken;

beforeAll(async () => {
  anvil = await startAnvil();
  clients = clientsFor(anvil.rpcUrl);
  token = await deployToken(anvil.rpcUrl);
  await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.deployer, privateKeyToAccount(ANVIL_KEYS.hotWallet).address, parseUnits('100000', 6));
});
afterAll(async () => {
  await anvil?.stop();
});

function evmAdapter(options: { rpcUrl?: string; env?: Record<string, string>; tokenDecimals?: DeployedToken } = {}): EvmChainAdapter {
  const settings = parseChainSettings(
    {
      EVM_RPC_URL_ERC20: options.rpcUrl ?? anvil.rpcUrl,
      EVM_CHAIN_ID_ERC20: String(ANVIL_CHAIN_ID),
      EVM_TOKEN_USDT_ERC20: (options.tokenDecimals ?? token).address,
      HOT_WALLET_PRIVATE_KEY: ANVIL_KEYS.hotWallet,
      EVM_RPC_TIMEOUT: '2s',
      ...options.env,
    },
    'development',
  );
  return new EvmChainAdapter({
    networks: { ERC20: settings.networks.ERC20.evm! },
    hotWalletKey: settings.hotWalletKey!,
    rpcTimeoutMs: settings.evmRpcTimeoutMs,
    logBlockRange: settings.evmLogBlockRange,
    tokenGasLimit: BigInt(settings.evmTokenGasLimit),
  });
}

let closedPort: number;

describeChainAdapter(
  'evm on anvil',
  async (): Promise<ChainKit> => {
    closedPort = await freePort();
    const adapter = evmAdapter({ env: { EVM_LOG_BLOCK_RANGE: '3' } });
    let snapshot: Hex | undefined;
    return {
      adapter,
      network: 'ERC20',
      asset: 'USDT',
      newAddress: () => randomAddress('ERC20'),
      mine: (blocks) => clients.testClient.mine({ blocks }),
      hold: () => clients.testClient.setAutomine(false),
      async deposit({ asset, to, amountMinor }) {
        const deployer = clients.wallet(ANVIL_KEYS.deployer);
        const hash =
          asset === 'ETH'
            ? await deployer.sendTransaction({ to: to as Address, value: amountMinor, chain: deployer.chain, account: deployer.account })
            : await deployer.writeContract({
                address: token.address,
                abi: token.abi,
                functionName: 'transfer',
                args: [to as Address, amountMinor],
                chain: deployer.chain,
                account: deployer.account,
              });
        await clients.publicClient.waitForTransactionReceipt({ hash });
        return { hash };
      },
      async fork() {
        const id = await clients.testClient.snapshot();
        const at = await clients.publicClient.getBlockNumber({ cacheTime: 0 });
        return {
          async reorganise() {
            const head = await clients.publicClient.getBlockNumber({ cacheTime: 0 });
            const reverted = await clients.testClient.request({ method: 'evm_revert', params: [id] } as never);
            if (!reverted) throw new Error('the snapshot was not reverted');
            // Later timestamps make the replacement blocks differ from the ones they replace.
            const { timestamp } = await clients.publicClient.getBlock({ blockTag: 'latest' });
            await clients.testClient.setNextBlockTimestamp({ timestamp: timestamp + 3_600n });
            await clients.testClient.mine({ blocks: Number(head - at) });
          },
        };
      },
      unreachable: () => evmAdapter({ rpcUrl: `http://127.0.0.1:${closedPort}` }),
      async beforeEach() {
        snapshot = await clients.testClient.snapshot();
      },
      async afterEach() {
        await clients.testClient.setAutomine(true);
        // A snapshot id is good for one revert: a fresh one is taken before each test.
        await clients.testClient.revert({ id: snapshot! });
      },
    };
  },
  { caseInsensitiveAddresses: true, nativeAsset: 'ETH' },
);

describe('EVM adapter on anvil: what is its own', () => {
  it('signs EIP-1559 transfers with twice the base fee plus the tip, and the hash is the keccak-256 of the signed bytes', async () => {
    const adapter = evmAdapter();
    const nonce = await adapter.minedNonce({ network: 'ERC20' });
    const signed = await adapter.signTransfer({ network: 'ERC20', asset: 'USDT', to: randomAddress('ERC20'), amountMinor: 1n, nonce });
    const { parseTransaction, keccak256 } = await import('viem');
    const parsed = parseTransaction(signed.raw as Hex);
    const block = await clients.publicClient.getBlock({ blockTag: 'latest' });
    expect(parsed).toMatchObject({
      type: 'eip1559',
      chainId: ANVIL_CHAIN_ID,
      nonce: Number(nonce),
      to: token.address.toLowerCase(),
      gas: 100_000n,
    });
    expect(parsed.maxFeePerGas).toBe(block.baseFeePerGas! * 2n + parsed.maxPriorityFeePerGas!);
    expect(keccak256(signed.raw as Hex)).toBe(signed.hash);
  });

  it('scales amounts for a token with more decimals than the catalog (USDT on BNB Chain has 18), rounding deposits down', async () => {
    const wide = await deployToken(anvil.rpcUrl, { decimals: 18 });
    const hotWallet = privateKeyToAccount(ANVIL_KEYS.hotWallet).address;
    await sendToken(anvil.rpcUrl, wide, ANVIL_KEYS.deployer, hotWallet, parseUnits('1000', 18));
    const adapter = evmAdapter({ tokenDecimals: wide });
    expect(await adapter.balance({ network: 'ERC20', asset: 'USDT' })).toBe(1_000_000_000n);
    const to = randomAddress('ERC20');
    const from = (await adapter.head({ network: 'ERC20' })) + 1n;
    const signed = await adapter.signTransfer({
      network: 'ERC20',
      asset: 'USDT',
      to,
      amountMinor: 2_500_000n,
      nonce: await adapter.minedNonce({ network: 'ERC20' }),
    });
    await adapter.broadcast({ network: 'ERC20', raw: signed.raw });
    await clients.publicClient.waitForTransactionReceipt({ hash: signed.hash as Hex });
    expect(await clients.publicClient.readContract({ address: wide.address, abi: wide.abi, functionName: 'balanceOf', args: [to] })).toBe(
      parseUnits('2.5', 18),
    );
    await sendToken(anvil.rpcUrl, wide, ANVIL_KEYS.deployer, to as Address, parseUnits('0.0000019', 18));
    const deposits = await adapter.deposits({
      network: 'ERC20',
      asset: 'USDT',
      addresses: [to],
      fromBlock: from,
      toBlock: await adapter.head({ network: 'ERC20' }),
    });
    expect(deposits.map((deposit) => deposit.amountMinor)).toEqual([2_500_000n, 1n]);
    expect(await adapter.balance({ network: 'ERC20', asset: 'USDT', address: to })).toBe(2_500_001n);
  });

  it('refuses a node of another chain, an unconfigured token and a wrong token address, without retrying for ever', async () => {
    const wrongChain = evmAdapter({ env: { EVM_CHAIN_ID_ERC20: '1' } });
    const error = await wrongChain.head({ network: 'ERC20' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'rejected', retryable: false, message: expect.stringContaining('serves chain 31337, not 1') });
    const adapter = evmAdapter();
    expect(await adapter.balance({ network: 'ERC20', asset: 'USDC' }).catch((caught: unknown) => caught)).toMatchObject({
      kind: 'rejected',
      message: expect.stringContaining('EVM_TOKEN_USDC_ERC20'),
    });
    const notAToken = evmAdapter({ env: { EVM_TOKEN_USDT_ERC20: randomAddress('ERC20') } });
    expect(await notAToken.balance({ network: 'ERC20', asset: 'USDT' }).catch((caught: unknown) => caught)).toMatchObject({
      kind: 'rejected',
      message: expect.stringContaining('is it the token contract?'),
    });
  });

  it('never shows the RPC URL (it may carry an API key) or the hot wallet key in an error', async () => {
    const port = await freePort();
    const secretUrl = `http://127.0.0.1:${port}/v3/0123456789abcdef0123456789abcdef`;
    const down = evmAdapter({ rpcUrl: secretUrl });
    const error = (await down.head({ network: 'ERC20' }).catch((caught: unknown) => caught)) as ProviderError;
    expect(error).toMatchObject({ kind: 'unavailable' });
    const seen = `${error.message} ${JSON.stringify(error)} ${String(error.cause ?? '')}`;
    expect(seen).not.toContain('0123456789abcdef0123456789abcdef');
    expect(seen).not.toContain(ANVIL_KEYS.hotWallet.slice(2));
    const rejected = await evmAdapter()
      .broadcast({ network: 'ERC20', raw: '0x02' })
      .catch((caught: unknown) => caught as ProviderError);
    expect(rejected).toBeInstanceOf(ProviderError);
    expect((rejected as ProviderError).message).not.toContain(anvil.rpcUrl);
  });

  it('finds deposits over more blocks than one log request may cover', async () => {
    const adapter = evmAdapter({ env: { EVM_LOG_BLOCK_RANGE: '2' } });
    const to = randomAddress('ERC20');
    const from = (await adapter.head({ network: 'ERC20' })) + 1n;
    for (const amount of [1n, 2n, 3n, 4n, 5n]) await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.deployer, to as Address, amount);
    const found = await adapter.deposits({
      network: 'ERC20',
      asset: 'USDT',
      addresses: [to],
      fromBlock: from,
      toBlock: await adapter.head({ network: 'ERC20' }),
    });
    expect(found.map((deposit) => deposit.amountMinor)).toEqual([1n, 2n, 3n, 4n, 5n]);
  });
  it('halves the block range when the provider says the answer is too large, down to what it serves', async () => {
    // A provider in front of anvil that refuses eth_getLogs over more than two blocks, as Infura does past 10,000 logs.
    const asked: number[] = [];
    const proxy = createServer(async (incoming, outgoing) => {
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (body.method === 'eth_getLogs') {
        const { fromBlock, toBlock } = body.params[0];
        const blocks = Number(BigInt(toBlock) - BigInt(fromBlock)) + 1;
        asked.push(blocks);
        if (blocks > 2) {
          outgoing.setHeader('content-type', 'application/json');
          outgoing.end(
            JSON.stringify({ jsonrpc: '2.0', id: body.id, error: { code: -32005, message: 'query returned more than 10000 results' } }),
          );
          return;
        }
      }
      const answer = await fetch(anvil.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      outgoing.setHeader('content-type', 'application/json');
      outgoing.end(await answer.text());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const adapter = evmAdapter({
        rpcUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        env: { EVM_LOG_BLOCK_RANGE: '8' },
      });
      const to = randomAddress('ERC20');
      const from = (await adapter.head({ network: 'ERC20' })) + 1n;
      for (const amount of [1n, 2n, 3n, 4n, 5n]) await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.deployer, to as Address, amount);
      const found = await adapter.deposits({
        network: 'ERC20',
        asset: 'USDT',
        addresses: [to],
        fromBlock: from,
        toBlock: await adapter.head({ network: 'ERC20' }),
      });
      expect(found.map((deposit) => deposit.amountMinor)).toEqual([1n, 2n, 3n, 4n, 5n]);
      // 5 blocks refused, then 4, then 2 + 2 + 1 served (viem retries each refusal once before the adapter halves).
      expect([...new Set(asked)]).toEqual([5, 4, 2, 1]);
      expect(asked.filter((blocks) => blocks <= 2)).toEqual([2, 2, 1]);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
