import { inspect } from 'node:util';
import { privateKeyToAccount } from 'viem/accounts';
import { validateAddress } from '../../lib/address.ts';
import { type Asset, NETWORKS, type Network } from '../../lib/catalog.ts';
import { parseDuration } from '../../lib/duration.ts';

/**
 * The chain settings, per network, read from the environment once (config.ts calls parseChainSettings).
 *
 *   CHAIN_ADAPTER_<NETWORK>      evm | sandbox | none. Default: evm for an EVM network whose
 *                                EVM_RPC_URL_<NETWORK> is set; otherwise sandbox in development and
 *                                none in production (which refuses sandbox).
 *   CONFIRMATIONS_<NETWORK>      blocks until a transfer is final; defaults in DEFAULT_CONFIRMATIONS,
 *                                or SANDBOX_CONFIRMATIONS on the sandbox chain (its blocks are made up).
 *   EVM_RPC_URL_<NETWORK>        JSON-RPC endpoint (ERC20, BEP20, POLYGON); it may carry an API key,
 *                                so it never appears in an error or a log line.
 *   EVM_CHAIN_ID_<NETWORK>       default the network's mainnet (1, 56, 137); the node must agree.
 *   EVM_TOKEN_<ASSET>_<NETWORK>  token contracts (USDT, USDC); an unset one is not served there.
 *   HOT_WALLET_PRIVATE_KEY       the one EVM key the platform sends from; needed once a network uses
 *                                evm; production refuses the public test keys of anvil and Hardhat.
 *   EVM_RPC_TIMEOUT              10s per JSON-RPC request.
 *   EVM_LOG_BLOCK_RANGE          1000 blocks per eth_getLogs request (providers cap the range).
 *   EVM_TOKEN_GAS_LIMIT          100000 gas for a token transfer (21000 for the native coin).
 *   SANDBOX_BLOCK_TIME           10s: the sandbox chain makes one block per this much platform time.
 */

export const CHAIN_ADAPTER_KINDS = ['evm', 'sandbox', 'none'] as const;
export type ChainAdapterKind = (typeof CHAIN_ADAPTER_KINDS)[number];

export const EVM_NETWORKS = ['ERC20', 'BEP20', 'POLYGON'] as const satisfies readonly Network[];
export type EvmNetwork = (typeof EVM_NETWORKS)[number];

/** Token contracts a network may be given; the native coin (ETH on ERC20) needs none. */
export const EVM_TOKEN_ASSETS = ['USDT', 'USDC'] as const satisfies readonly Asset[];

export const MAINNET_CHAIN_IDS: Record<EvmNetwork, number> = { ERC20: 1, BEP20: 56, POLYGON: 137 };

/**
 * Confirmations on a real chain: Ethereum 12 (about 2.5 minutes, past any reorganisation seen since
 * the merge), BNB Chain 15 (fast finality needs 2/3 of 21 validators), Polygon PoS 64 (deep
 * reorganisations were seen there), TRON 19 (a block is solidified once 2/3 of its 27 producers
 * followed it), Bitcoin 3, Solana 32 (a finalised slot).
 */
export const DEFAULT_CONFIRMATIONS: Record<Network, number> = { ERC20: 12, BEP20: 15, POLYGON: 64, TRC20: 19, BITCOIN: 3, SOL: 32 };

/** On the sandbox chain (one block per SANDBOX_BLOCK_TIME): final after about 20 s, yet confirmations still count. */
export const SANDBOX_CONFIRMATIONS = 2;

/**
 * The public keys of the well-known test mnemonic ("test test … junk", accounts 0–19) that anvil and
 * Hardhat fund: anyone can spend from them, so production refuses them as the hot wallet
 * (chain-settings.test.ts derives them again from the mnemonic).
 */
export const PUBLIC_TEST_ADDRESSES: readonly string[] = [
  '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
  '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
  '0x976EA74026E726554dB657fA54763abd0C3a0aa9',
  '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955',
  '0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f',
  '0xa0Ee7A142d267C1f36714E4a8F75612F20a79720',
  '0xBcd4042DE499D14e55001CcbB24a551F3b954096',
  '0x71bE63f3384f5fb98995898A86B02Fb2426c5788',
  '0xFABB0ac9d68B0B445fB7357272Ff202C5651694a',
  '0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec',
  '0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097',
  '0xcd3B766CCDd6AE721141F452C550Ca635964ce71',
  '0x2546BcD3c84621e976D8185a91A922aE77ECEc30',
  '0xbDA5747bFD65F08deb54cb465eB87D40e51B197E',
  '0xdD2FD4581271e230360230F9337D5c0430Bf44C0',
  '0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199',
];

/**
 * A private key that stays out of logs: JSON.stringify, pino and util.inspect all see "[redacted]".
 * Only the EVM adapter calls `reveal()`, to build its signer.
 */
export class SecretKey {
  readonly #value: `0x${string}`;
  /** The address the key sends from (EIP-55), safe to show. */
  readonly address: string;

  constructor(value: `0x${string}`, address: string) {
    this.#value = value;
    this.address = address;
  }

  reveal(): `0x${string}` {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'SecretKey [redacted]';
  }
}

export interface EvmNetworkSettings {
  rpcUrl: string;
  chainId: number;
  /** Token contracts by asset (EIP-55). */
  tokens: Partial<Record<Asset, string>>;
}

export interface NetworkChainSettings {
  adapter: ChainAdapterKind;
  confirmations: number;
  /** Present when the adapter is evm. */
  evm?: EvmNetworkSettings;
}

export interface ChainSettings {
  networks: Record<Network, NetworkChainSettings>;
  /** HOT_WALLET_PRIVATE_KEY; set whenever a network uses evm. */
  hotWalletKey: SecretKey | undefined;
  evmRpcTimeoutMs: number;
  evmLogBlockRange: number;
  evmTokenGasLimit: number;
  sandboxBlockTimeMs: number;
}

type Env = Record<string, string | undefined>;

const NETWORK_NAMES = Object.keys(NETWORKS) as Network[];

function isEvmNetwork(network: Network): network is EvmNetwork {
  return (EVM_NETWORKS as readonly Network[]).includes(network);
}

/** Every environment variable the chain settings read (the test children clear them all). */
export function chainSettingNames(): string[] {
  return [
    ...NETWORK_NAMES.flatMap((network) => [`CHAIN_ADAPTER_${network}`, `CONFIRMATIONS_${network}`]),
    ...EVM_NETWORKS.flatMap((network) => [
      `EVM_RPC_URL_${network}`,
      `EVM_CHAIN_ID_${network}`,
      ...EVM_TOKEN_ASSETS.map((asset) => `EVM_TOKEN_${asset}_${network}`),
    ]),
    'HOT_WALLET_PRIVATE_KEY',
    'EVM_RPC_TIMEOUT',
    'EVM_LOG_BLOCK_RANGE',
    'EVM_TOKEN_GAS_LIMIT',
    'SANDBOX_BLOCK_TIME',
  ];
}

export function parseChainSettings(env: Env, mode: 'development' | 'production'): ChainSettings {
  const networks = {} as Record<Network, NetworkChainSettings>;
  for (const network of NETWORK_NAMES) {
    const rpcUrl = isEvmNetwork(network) ? httpUrl(env, `EVM_RPC_URL_${network}`) : undefined;
    const fallback: ChainAdapterKind = rpcUrl ? 'evm' : mode === 'production' ? 'none' : 'sandbox';
    const adapter = choice(env, `CHAIN_ADAPTER_${network}`, fallback);
    const confirmations = integer(
      env,
      `CONFIRMATIONS_${network}`,
      adapter === 'sandbox' ? SANDBOX_CONFIRMATIONS : DEFAULT_CONFIRMATIONS[network],
      {
        min: 1,
        max: 10_000,
      },
    );
    const settings: NetworkChainSettings = { adapter, confirmations };
    if (adapter === 'evm') {
      if (!isEvmNetwork(network)) throw new Error(`CHAIN_ADAPTER_${network}=evm: ${network} is not an EVM network (use sandbox or none)`);
      if (!rpcUrl) throw new Error(`CHAIN_ADAPTER_${network}=evm needs EVM_RPC_URL_${network}`);
      const tokens: Partial<Record<Asset, string>> = {};
      for (const asset of EVM_TOKEN_ASSETS) {
        const name = `EVM_TOKEN_${asset}_${network}`;
        const text = env[name];
        if (text === undefined || text === '') continue;
        const check = validateAddress('evm', text);
        if (!check.ok) throw new Error(`${name} must be a token contract address: ${check.issue}`);
        tokens[asset] = check.address;
      }
      const chainId = integer(env, `EVM_CHAIN_ID_${network}`, MAINNET_CHAIN_IDS[network], { min: 1, max: 2 ** 53 - 1 });
      settings.evm = { rpcUrl, chainId, tokens };
    }
    networks[network] = settings;
  }
  const evmInUse = NETWORK_NAMES.filter((network) => networks[network].adapter === 'evm');
  const hotWalletKey = privateKey(env);
  if (evmInUse.length > 0 && !hotWalletKey) {
    throw new Error(`HOT_WALLET_PRIVATE_KEY is needed: ${evmInUse.map((network) => `CHAIN_ADAPTER_${network}`).join(', ')} use evm`);
  }
  const settings: ChainSettings = {
    networks,
    hotWalletKey,
    evmRpcTimeoutMs: duration(env, 'EVM_RPC_TIMEOUT', '10s'),
    evmLogBlockRange: integer(env, 'EVM_LOG_BLOCK_RANGE', 1000, { min: 1, max: 1_000_000 }),
    evmTokenGasLimit: integer(env, 'EVM_TOKEN_GAS_LIMIT', 100_000, { min: 21_000, max: 30_000_000 }),
    sandboxBlockTimeMs: duration(env, 'SANDBOX_BLOCK_TIME', '10s'),
  };
  if (settings.evmRpcTimeoutMs < 1) throw new Error('EVM_RPC_TIMEOUT must be longer than 0');
  if (settings.sandboxBlockTimeMs < 1) throw new Error('SANDBOX_BLOCK_TIME must be longer than 0');
  return settings;
}

/** What production refuses: the sandbox chain anywhere, and a hot wallet key anyone knows. */
export function assertChainsProductionSafe(settings: ChainSettings): void {
  const sandboxed = NETWORK_NAMES.filter((network) => settings.networks[network].adapter === 'sandbox');
  if (sandboxed.length > 0) {
    throw new Error(
      `production mode refuses ${sandboxed.map((network) => `CHAIN_ADAPTER_${network}=sandbox`).join(', ')}: the sandbox chain moves no real coins`,
    );
  }
  const key = settings.hotWalletKey;
  if (key && PUBLIC_TEST_ADDRESSES.includes(key.address)) {
    throw new Error(
      `production mode refuses HOT_WALLET_PRIVATE_KEY: it is a public test key (address ${key.address}) that anyone can spend from`,
    );
  }
}

function privateKey(env: Env): SecretKey | undefined {
  const text = env.HOT_WALLET_PRIVATE_KEY;
  if (text === undefined || text === '') return undefined;
  // Never echo the value: a near-miss of a real key is still most of a real key.
  const problem = 'HOT_WALLET_PRIVATE_KEY must be 32 bytes as 64 hex digits (0x optional), a valid secp256k1 key';
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw new Error(problem);
  const value = (text.startsWith('0x') ? text : `0x${text}`).toLowerCase() as `0x${string}`;
  try {
    return new SecretKey(value, privateKeyToAccount(value).address);
  } catch {
    throw new Error(problem);
  }
}

function choice(env: Env, name: string, fallback: ChainAdapterKind): ChainAdapterKind {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!(CHAIN_ADAPTER_KINDS as readonly string[]).includes(text)) {
    throw new Error(`${name} must be one of ${CHAIN_ADAPTER_KINDS.join(', ')}, got "${text}"`);
  }
  return text as ChainAdapterKind;
}

function httpUrl(env: Env, name: string): string | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  // The URL may hold an API key: the message names the setting, not the value.
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) throw new Error(`${name} must be an http(s) URL`);
  return text;
}

function integer(env: Env, name: string, fallback: number, range: { min: number; max: number }): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) < range.min || Number(text) > range.max) {
    throw new Error(`${name} must be a whole number from ${range.min} to ${range.max}, got "${text}"`);
  }
  return Number(text);
}

function duration(env: Env, name: string, fallback: string): number {
  try {
    return parseDuration(env[name] || fallback);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
}
