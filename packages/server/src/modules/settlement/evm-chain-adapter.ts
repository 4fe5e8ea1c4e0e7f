import {
  type Chain,
  ContractFunctionExecutionError,
  ContractFunctionZeroDataError,
  createPublicClient,
  defineChain,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  type PrivateKeyAccount,
  type PublicClient,
  toHex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { validateAddress } from '../../lib/address.ts';
import { ASSETS, type Asset, assetTravelsOn, type Network } from '../../lib/catalog.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { ChainAdapter, Deposit, DepositQuery, SignedTransfer, SignTransferRequest, TransferStatus } from './chain-adapter.ts';
import type { EvmNetwork, EvmNetworkSettings, SecretKey } from './chain-settings.ts';
import {
  addressTopic,
  byBlockThenLog,
  classifyRpcFailure,
  depositFromLog,
  depositFromTransaction,
  feeFields,
  minorToToken,
  NATIVE_TRANSFER_GAS,
  nodeMessage,
  type RpcFailure,
  type RpcLog,
  type RpcReceipt,
  type RpcTransaction,
  redact,
  TRANSFER_TOPIC,
  tokenToMinor,
  transferStatusFrom,
} from './evm-chain-mapping.ts';

const ERC20_ABI = [
  {
    type: 'function',
    name: 'transfer',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'to', type: 'address' },
      { name: 'value', type: 'uint256' },
    ],
    outputs: [{ type: 'bool' }],
  },
  {
    type: 'function',
    name: 'balanceOf',
    stateMutability: 'view',
    inputs: [{ name: 'owner', type: 'address' }],
    outputs: [{ type: 'uint256' }],
  },
  { type: 'function', name: 'decimals', stateMutability: 'view', inputs: [], outputs: [{ type: 'uint8' }] },
] as const;

/** The native coin each EVM network carries in the catalog (BNB and POL are not in it). */
const NATIVE_ASSET: Partial<Record<Network, Asset>> = { ERC20: 'ETH' };

/** Watched addresses per eth_getLogs request (an OR in topic 2); nodes limit how long a filter may be. */
const ADDRESSES_PER_LOG_QUERY = 100;
/** Blocks fetched at once when looking for native-coin deposits. */
const BLOCKS_AT_ONCE = 8;

export interface EvmChainOptions {
  /** The networks this adapter serves, each with its endpoint, chain id and token contracts. */
  networks: Partial<Record<EvmNetwork, EvmNetworkSettings>>;
  /** HOT_WALLET_PRIVATE_KEY: one key, the same address on every EVM network. */
  hotWalletKey: SecretKey;
  rpcTimeoutMs: number;
  /** Blocks per eth_getLogs request (EVM_LOG_BLOCK_RANGE); halved on the way when a provider says the answer is too large. */
  logBlockRange: number;
  /** Gas limit of a token transfer (EVM_TOKEN_GAS_LIMIT); a native transfer takes 21,000. */
  tokenGasLimit: bigint;
}

interface NetworkClient {
  settings: EvmNetworkSettings;
  client: PublicClient;
  /** Resolves once the node's eth_chainId matched the configured one (reset after a failure to ask). */
  chainChecked: Promise<void> | undefined;
}

/**
 * ERC-20 tokens (USDT, USDC on ERC20, BEP20, POLYGON) and ETH on ERC20, through any JSON-RPC endpoint
 * with viem, sent from one hot wallet key.
 *
 * - Signing happens here, not on the node: the transfer is built with the given nonce, a fixed gas
 *   limit (EVM_TOKEN_GAS_LIMIT, 21,000 for ETH; no estimate, so a transfer the wallet cannot cover is
 *   signed and then mined reverted rather than refused) and the fee read from the node at signing
 *   time (evm-chain-mapping.ts `feeFields`), and its hash is the keccak-256 of the signed bytes. The
 *   signed bytes fix the fee: sending them again later pays the same.
 * - Before its first call on a network, the adapter checks that the node serves the configured chain id.
 * - Amounts are the catalog's minor units; a token with more decimals (USDT on BNB Chain: 18) is
 *   scaled, reading `decimals()` once per token.
 * - Deposits: the token's Transfer logs with topic 2 in the watched addresses, over block ranges of
 *   EVM_LOG_BLOCK_RANGE; ETH deposits from the blocks' transactions (top-level value only, successful
 *   ones; value moved by contracts is not seen), logIndex -1.
 * - Errors: ProviderError only, with the node's words; the RPC URL (it may carry an API key) and the
 *   key never appear in a message.
 */
export class EvmChainAdapter implements ChainAdapter {
  readonly name = 'evm';
  readonly networks: readonly Network[];
  private readonly clients = new Map<Network, NetworkClient>();
  private readonly account: PrivateKeyAccount;
  private readonly secrets: string[];
  private readonly tokenDecimals = new Map<string, Promise<number>>();
  private readonly logBlockRange: bigint;
  private readonly tokenGasLimit: bigint;

  constructor(options: EvmChainOptions) {
    this.account = privateKeyToAccount(options.hotWalletKey.reveal());
    this.secrets = [options.hotWalletKey.reveal()];
    this.logBlockRange = BigInt(options.logBlockRange);
    this.tokenGasLimit = options.tokenGasLimit;
    for (const [network, settings] of Object.entries(options.networks) as [EvmNetwork, EvmNetworkSettings][]) {
      const chain: Chain = defineChain({
        id: settings.chainId,
        name: network,
        nativeCurrency: { name: NATIVE_ASSET[network] ?? 'native', symbol: NATIVE_ASSET[network] ?? 'NATIVE', decimals: 18 },
        rpcUrls: { default: { http: [settings.rpcUrl] } },
      });
      const client = createPublicClient({
        chain,
        // One retry of a failed request (viem's backoff: 150 ms); the workers retry later anyway.
        transport: http(settings.rpcUrl, { timeout: options.rpcTimeoutMs, retryCount: 1 }),
        cacheTime: 0,
      }) as PublicClient;
      this.clients.set(network, { settings, client, chainChecked: undefined });
      this.secrets.push(settings.rpcUrl);
    }
    this.networks = [...this.clients.keys()];
  }

  hotWalletAddress({ network }: { network: Network }): string {
    this.network(network);
    return this.account.address;
  }

  async signTransfer({ network, asset, to, amountMinor, nonce }: SignTransferRequest): Promise<SignedTransfer> {
    const { client, settings } = await this.ready(network);
    const recipient = validateAddress('evm', to);
    if (!recipient.ok) throw this.rejected(network, `not an EVM address (${recipient.issue})`);
    if (amountMinor <= 0n) throw this.rejected(network, 'the amount must be positive');
    if (nonce < 0n || nonce > BigInt(Number.MAX_SAFE_INTEGER)) throw this.rejected(network, 'the nonce is out of range');
    const transfer = await this.transferFields(network, asset, recipient.address as Hex, amountMinor);
    const fees = await this.call(network, 'read the fee', async () => {
      const block = await client.getBlock({ blockTag: 'latest' });
      const baseFeePerGas = block.baseFeePerGas ?? null;
      if (baseFeePerGas !== null) {
        const priorityFee = await client.request({ method: 'eth_maxPriorityFeePerGas' }).then(
          (answer) => BigInt(answer),
          () => null, // not every node has it: tip nothing rather than fail
        );
        return feeFields({ baseFeePerGas, priorityFee, gasPrice: null });
      }
      return feeFields({ baseFeePerGas: null, priorityFee: null, gasPrice: await client.getGasPrice() });
    });
    const raw = await this.account.signTransaction({ chainId: settings.chainId, nonce: Number(nonce), ...transfer, ...fees });
    return { hash: keccak256(raw), raw };
  }

  async broadcast({ network, raw }: { network: Network; raw: string }): Promise<void> {
    const { client } = await this.ready(network);
    if (!/^0x[0-9a-fA-F]+$/.test(raw)) throw this.rejected(network, 'the signed transfer is not hex');
    try {
      await client.request({ method: 'eth_sendRawTransaction', params: [raw as Hex] });
      return;
    } catch (error) {
      const failure = classifyRpcFailure(error);
      if (failure === 'known') return;
      if (failure === 'nonce_too_low') {
        // The node may be telling us that these very bytes are mined already.
        const hash = keccak256(raw as Hex);
        const known = await this.call(network, 'look the transfer up', () =>
          client.request({ method: 'eth_getTransactionByHash', params: [hash] }),
        );
        if (known) return;
        throw this.refusal(network, error, false, 'its nonce is used by another transfer: these bytes can never be mined');
      }
      if (failure === 'pool_conflict') throw this.refusal(network, error, true, 'another transfer with this nonce waits in the pool');
      if (failure === 'cannot_pay') throw this.refusal(network, error, true, 'the hot wallet cannot pay for it now');
      if (failure === 'refused') throw this.refusal(network, error, false, 'the node refused the transfer');
      throw this.unavailable(network, 'send the transfer', error);
    }
  }

  async transferStatus({ network, hash }: { network: Network; hash: string }): Promise<TransferStatus> {
    const { client } = await this.ready(network);
    if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) throw this.rejected(network, 'not a transaction hash');
    return this.call(network, 'read the transfer', async () => {
      const receipt = (await client.request({ method: 'eth_getTransactionReceipt', params: [hash as Hex] })) as RpcReceipt | null;
      if (receipt) return transferStatusFrom(receipt, null);
      const transaction = (await client.request({ method: 'eth_getTransactionByHash', params: [hash as Hex] })) as RpcTransaction | null;
      return transferStatusFrom(null, transaction);
    });
  }

  async head({ network }: { network: Network }): Promise<bigint> {
    const { client } = await this.ready(network);
    return this.call(network, 'read the head', async () => BigInt(await client.request({ method: 'eth_blockNumber' })));
  }

  async blockHash({ network, number }: { network: Network; number: bigint }): Promise<string | null> {
    const { client } = await this.ready(network);
    if (number < 0n) return null;
    return this.call(network, 'read a block', async () => {
      const block = await client.request({ method: 'eth_getBlockByNumber', params: [toHex(number), false] });
      return block?.hash ?? null;
    });
  }

  async minedNonce({ network }: { network: Network }): Promise<bigint> {
    const { client } = await this.ready(network);
    return this.call(network, 'read the nonce', async () =>
      BigInt(await client.getTransactionCount({ address: this.account.address, blockTag: 'latest' })),
    );
  }

  async balance({ network, asset, address }: { network: Network; asset: Asset; address?: string }): Promise<bigint> {
    const { client } = await this.ready(network);
    const owner = address === undefined ? { ok: true as const, address: this.account.address } : validateAddress('evm', address);
    if (!owner.ok) throw this.rejected(network, `not an EVM address (${owner.issue})`);
    const decimals = ASSETS[this.servedAsset(network, asset)].decimals;
    if (NATIVE_ASSET[network] === asset) {
      return this.call(network, 'read a balance', async () =>
        tokenToMinor(await client.getBalance({ address: owner.address as Hex, blockTag: 'latest' }), 18, decimals),
      );
    }
    const token = this.token(network, asset);
    const tokenDecimals = await this.decimalsOf(network, token);
    return this.call(network, 'read a balance', async () => {
      const value = await client.readContract({ address: token, abi: ERC20_ABI, functionName: 'balanceOf', args: [owner.address as Hex] });
      return tokenToMinor(value, tokenDecimals, decimals);
    });
  }

  async deposits({ network, asset, addresses, fromBlock, toBlock }: DepositQuery): Promise<Deposit[]> {
    await this.ready(network);
    const assetDecimals = ASSETS[this.servedAsset(network, asset)].decimals;
    const spelling = new Map<string, string>();
    for (const address of addresses) {
      if (validateAddress('evm', address).ok && !spelling.has(address.toLowerCase())) spelling.set(address.toLowerCase(), address);
    }
    const from = fromBlock < 0n ? 0n : fromBlock;
    if (spelling.size === 0 || toBlock < from) return [];
    if (NATIVE_ASSET[network] === asset) return this.nativeDeposits(network, { spelling, assetDecimals, fromBlock: from, toBlock });
    const token = this.token(network, asset);
    const tokenDecimals = await this.decimalsOf(network, token);
    const watched = [...spelling.keys()];
    const found: Deposit[] = [];
    for (let start = 0; start < watched.length; start += ADDRESSES_PER_LOG_QUERY) {
      const topics = watched.slice(start, start + ADDRESSES_PER_LOG_QUERY).map(addressTopic);
      for (const log of await this.transferLogs(network, token, topics, from, toBlock)) {
        const deposit = depositFromLog(log, { spelling, tokenDecimals, assetDecimals });
        if (deposit) found.push(deposit);
      }
    }
    return found.sort(byBlockThenLog);
  }

  /** Transfer logs of `token` into `topics` over [from, to], in ranges of EVM_LOG_BLOCK_RANGE, halved while the provider says too large. */
  private async transferLogs(network: Network, token: Hex, topics: Hex[], from: bigint, to: bigint): Promise<RpcLog[]> {
    const { client } = this.network(network);
    const logs: RpcLog[] = [];
    let range = this.logBlockRange;
    for (let start = from; start <= to; ) {
      const end = start + range - 1n < to ? start + range - 1n : to;
      try {
        const answer = await client.request({
          method: 'eth_getLogs',
          params: [{ address: token, topics: [TRANSFER_TOPIC, null, topics], fromBlock: toHex(start), toBlock: toHex(end) }],
        });
        logs.push(...(answer as RpcLog[]));
        start = end + 1n;
      } catch (error) {
        if (classifyRpcFailure(error) === 'too_many_results' && range > 1n) {
          range /= 2n;
          continue;
        }
        throw this.failed(network, 'read Transfer logs', error);
      }
    }
    return logs;
  }

  private async nativeDeposits(
    network: Network,
    query: { spelling: Map<string, string>; assetDecimals: number; fromBlock: bigint; toBlock: bigint },
  ): Promise<Deposit[]> {
    const { client } = this.network(network);
    const found: Deposit[] = [];
    for (let start = query.fromBlock; start <= query.toBlock; start += BigInt(BLOCKS_AT_ONCE)) {
      const numbers: bigint[] = [];
      for (let number = start; number <= query.toBlock && number < start + BigInt(BLOCKS_AT_ONCE); number++) numbers.push(number);
      const blocks = await this.call(network, 'read blocks', () =>
        Promise.all(numbers.map((number) => client.request({ method: 'eth_getBlockByNumber', params: [toHex(number), true] }))),
      );
      for (const block of blocks) {
        for (const transaction of (block?.transactions ?? []) as RpcTransaction[]) {
          const deposit = depositFromTransaction(transaction, query);
          if (!deposit) continue;
          // A reverted transaction moved no value.
          const receipt = await this.call(network, 'read a receipt', () =>
            client.request({ method: 'eth_getTransactionReceipt', params: [transaction.hash] }),
          );
          const status = transferStatusFrom(receipt as RpcReceipt | null, null);
          if (status.state === 'mined' && status.success) found.push(deposit);
        }
      }
    }
    return found.sort(byBlockThenLog);
  }

  /** What goes to the node for a transfer of `asset`: a token's transfer(to, value) call, or the native coin itself. */
  private async transferFields(network: Network, asset: Asset, to: Hex, amountMinor: bigint) {
    const decimals = ASSETS[this.servedAsset(network, asset)].decimals;
    if (NATIVE_ASSET[network] === asset) {
      return { to, value: minorToToken(amountMinor, 18, decimals), gas: NATIVE_TRANSFER_GAS };
    }
    const token = this.token(network, asset);
    const value = minorToToken(amountMinor, await this.decimalsOf(network, token), decimals);
    const data = encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [to, value] });
    return { to: token, data, value: 0n, gas: this.tokenGasLimit };
  }

  private servedAsset(network: Network, asset: Asset): Asset {
    if (!assetTravelsOn(asset, network)) throw this.rejected(network, `${asset} does not travel on ${network}`);
    if (NATIVE_ASSET[network] !== asset && !this.network(network).settings.tokens[asset]) {
      throw this.rejected(network, `no ${asset} token contract is configured (EVM_TOKEN_${asset}_${network})`);
    }
    return asset;
  }

  private token(network: Network, asset: Asset): Hex {
    return this.network(network).settings.tokens[asset]! as Hex;
  }

  private decimalsOf(network: Network, token: Hex): Promise<number> {
    const key = `${network}:${token}`;
    let decimals = this.tokenDecimals.get(key);
    if (!decimals) {
      const { client } = this.network(network);
      decimals = client.readContract({ address: token, abi: ERC20_ABI, functionName: 'decimals' }).catch((error: unknown) => {
        // No code or no decimals() at the address: the setting is wrong, asking again will not help.
        if (error instanceof ContractFunctionExecutionError && error.walk((cause) => cause instanceof ContractFunctionZeroDataError)) {
          throw this.rejected(network, `the configured ${token} answers no decimals(): is it the token contract?`);
        }
        throw this.failed(network, "read the token's decimals", error);
      });
      // Forget a failed read: the next call asks again.
      decimals.catch(() => this.tokenDecimals.delete(key));
      this.tokenDecimals.set(key, decimals);
    }
    return decimals;
  }

  private network(network: Network): NetworkClient {
    const client = this.clients.get(network);
    if (!client) throw this.rejected(network, `the EVM adapter does not serve ${network} (CHAIN_ADAPTER_${network})`);
    return client;
  }

  /** The network's client, once its node was seen to serve the configured chain. */
  private async ready(network: Network): Promise<NetworkClient> {
    const entry = this.network(network);
    if (!entry.chainChecked) {
      entry.chainChecked = this.call(network, 'read the chain id', () => entry.client.request({ method: 'eth_chainId' })).then((answer) => {
        const served = Number(BigInt(answer));
        if (served !== entry.settings.chainId) {
          throw this.rejected(network, `the node serves chain ${served}, not ${entry.settings.chainId} (EVM_CHAIN_ID_${network})`);
        }
      });
      entry.chainChecked.catch(() => {
        entry.chainChecked = undefined;
      });
    }
    await entry.chainChecked;
    return entry;
  }

  /** Runs one request; any failure becomes a ProviderError. */
  private async call<T>(network: Network, what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.failed(network, what, error);
    }
  }

  private failed(network: Network, what: string, error: unknown): ProviderError {
    if (error instanceof ProviderError) return error;
    const failure: RpcFailure = classifyRpcFailure(error);
    if (failure === 'unreachable' || failure === 'too_many_results') return this.unavailable(network, what, error);
    return new ProviderError({
      provider: this.name,
      kind: 'invalid_response',
      message: this.clean(`${network}: could not ${what}: ${nodeMessage(error)}`),
    });
  }

  private unavailable(network: Network, what: string, error: unknown): ProviderError {
    return new ProviderError({
      provider: this.name,
      kind: 'unavailable',
      message: this.clean(`${network}: could not ${what}: ${nodeMessage(error)}`),
    });
  }

  private refusal(network: Network, error: unknown, retryable: boolean, meaning: string): ProviderError {
    return new ProviderError({
      provider: this.name,
      kind: 'rejected',
      retryable,
      message: this.clean(`${network}: ${meaning} (the node said: ${nodeMessage(error)})`),
    });
  }

  private rejected(network: Network, message: string): ProviderError {
    return new ProviderError({ provider: this.name, kind: 'rejected', message: this.clean(`${network}: ${message}`) });
  }

  private clean(message: string): string {
    return redact(message, this.secrets);
  }
}
