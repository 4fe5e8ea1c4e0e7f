import { inspect } from 'node:util';
import { mnemonicToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import {
  chainSettingNames,
  DEFAULT_CONFIRMATIONS,
  PUBLIC_TEST_ADDRESSES,
  parseChainSettings,
  SANDBOX_CONFIRMATIONS,
} from './chain-settings.ts';

const ANVIL_KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const OWN_KEY = `0x${'4c'.repeat(32)}`;
const TOKEN = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://db/proof',
  ADMIN_TOKEN: 'adm_0123456789abcdefghijklmnopqrstuvwxyz',
  SIGNING_SECRET: 's'.repeat(40),
  ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  RATE_PROVIDER: 'kraken',
};

describe('chain settings', () => {
  it('puts every network on the sandbox chain in development, with two confirmations, and nothing needs a key', () => {
    const settings = parseChainSettings({}, 'development');
    for (const network of Object.values(settings.networks))
      expect(network).toEqual({ adapter: 'sandbox', confirmations: SANDBOX_CONFIRMATIONS });
    expect(settings.hotWalletKey).toBeUndefined();
    expect(settings).toMatchObject({
      sandboxBlockTimeMs: 10_000,
      evmRpcTimeoutMs: 10_000,
      evmLogBlockRange: 1000,
      evmTokenGasLimit: 100_000,
    });
  });

  it('uses the EVM on a network whose RPC URL is set, with its mainnet chain id and real confirmations by default', () => {
    const settings = parseChainSettings(
      { EVM_RPC_URL_BEP20: 'https://bsc.example/rpc', EVM_TOKEN_USDT_BEP20: TOKEN.toLowerCase(), HOT_WALLET_PRIVATE_KEY: OWN_KEY.slice(2) },
      'development',
    );
    expect(settings.networks.BEP20).toEqual({
      adapter: 'evm',
      confirmations: DEFAULT_CONFIRMATIONS.BEP20,
      evm: { rpcUrl: 'https://bsc.example/rpc', chainId: 56, tokens: { USDT: TOKEN } },
    });
    expect(settings.networks.ERC20.adapter).toBe('sandbox');
    expect(settings.hotWalletKey?.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(settings.hotWalletKey?.reveal()).toBe(OWN_KEY);
  });

  it('takes an explicit adapter, chain id and depth per network', () => {
    const settings = parseChainSettings(
      {
        CHAIN_ADAPTER_TRC20: 'none',
        CONFIRMATIONS_BITCOIN: '6',
        CHAIN_ADAPTER_POLYGON: 'evm',
        EVM_RPC_URL_POLYGON: 'http://127.0.0.1:8545',
        EVM_CHAIN_ID_POLYGON: '80002',
        CONFIRMATIONS_POLYGON: '3',
        HOT_WALLET_PRIVATE_KEY: OWN_KEY,
        SANDBOX_BLOCK_TIME: '2s',
      },
      'development',
    );
    expect(settings.networks.TRC20.adapter).toBe('none');
    expect(settings.networks.BITCOIN).toEqual({ adapter: 'sandbox', confirmations: 6 });
    expect(settings.networks.POLYGON).toMatchObject({ adapter: 'evm', confirmations: 3, evm: { chainId: 80002, tokens: {} } });
    expect(settings.sandboxBlockTimeMs).toBe(2000);
  });

  it('refuses what cannot work, naming the setting and never echoing a key or URL', () => {
    const cases: [Record<string, string>, string][] = [
      [{ CHAIN_ADAPTER_TRC20: 'evm' }, 'TRC20 is not an EVM network'],
      [{ CHAIN_ADAPTER_ERC20: 'evm' }, 'CHAIN_ADAPTER_ERC20=evm needs EVM_RPC_URL_ERC20'],
      [{ CHAIN_ADAPTER_ERC20: 'real' }, 'CHAIN_ADAPTER_ERC20 must be one of evm, sandbox, none'],
      [{ EVM_RPC_URL_ERC20: 'https://rpc.example/v3/abc' }, 'HOT_WALLET_PRIVATE_KEY is needed: CHAIN_ADAPTER_ERC20 use evm'],
      [{ EVM_RPC_URL_ERC20: 'ws://rpc.example/v3/secretpath' }, 'EVM_RPC_URL_ERC20 must be an http(s) URL'],
      [{ HOT_WALLET_PRIVATE_KEY: `${OWN_KEY}00` }, 'HOT_WALLET_PRIVATE_KEY must be 32 bytes'],
      [{ HOT_WALLET_PRIVATE_KEY: `0x${'f'.repeat(64)}` }, 'a valid secp256k1 key'],
      [{ HOT_WALLET_PRIVATE_KEY: `0x${'0'.repeat(64)}` }, 'a valid secp256k1 key'],
      [{ CONFIRMATIONS_SOL: '0' }, 'CONFIRMATIONS_SOL must be a whole number from 1 to 10000'],
      [
        { EVM_RPC_URL_ERC20: 'https://x.example', HOT_WALLET_PRIVATE_KEY: OWN_KEY, EVM_TOKEN_USDC_ERC20: '0x1234' },
        'EVM_TOKEN_USDC_ERC20 must be a token contract address',
      ],
      [{ SANDBOX_BLOCK_TIME: '0s' }, 'SANDBOX_BLOCK_TIME must be longer than 0'],
    ];
    for (const [env, message] of cases) {
      let caught: Error | undefined;
      try {
        parseChainSettings(env, 'development');
      } catch (error) {
        caught = error as Error;
      }
      expect(caught?.message, JSON.stringify(env)).toContain(message);
      expect(caught?.message).not.toMatch(/secretpath|f{64}|0{64}|(4c){32}/);
    }
  });

  it('keeps the key out of JSON, logs and inspection', () => {
    const { hotWalletKey } = parseChainSettings({ HOT_WALLET_PRIVATE_KEY: OWN_KEY }, 'development');
    const config = loadConfig({ HOT_WALLET_PRIVATE_KEY: OWN_KEY });
    for (const shown of [JSON.stringify(config), JSON.stringify({ hotWalletKey }), inspect(config, { depth: 10 }), String(hotWalletKey)]) {
      expect(shown).not.toContain('4c4c4c4c');
    }
  });

  it('names every setting it reads (the test children clear them)', () => {
    const names = chainSettingNames();
    expect(names).toContain('EVM_TOKEN_USDC_POLYGON');
    expect(names).toContain('CONFIRMATIONS_TRC20');
    expect(names).not.toContain('EVM_RPC_URL_TRC20');
    expect(new Set(names).size).toBe(names.length);
  });

  it('lists the public test accounts production refuses: the test mnemonic’s first twenty', () => {
    const mnemonic = 'test test test test test test test test test test test junk';
    expect(PUBLIC_TEST_ADDRESSES).toEqual(
      Array.from({ length: 20 }, (_, addressIndex) => mnemonicToAccount(mnemonic, { addressIndex }).address),
    );
  });
});

describe('chain settings in production', () => {
  it('puts every network on none unless an EVM endpoint is configured', () => {
    const config = loadConfig(PRODUCTION);
    for (const network of Object.values(config.chains.networks)) expect(network.adapter).toBe('none');
    const withEvm = loadConfig({ ...PRODUCTION, EVM_RPC_URL_ERC20: 'https://rpc.example', HOT_WALLET_PRIVATE_KEY: OWN_KEY });
    expect(withEvm.chains.networks.ERC20).toMatchObject({ adapter: 'evm', confirmations: 12 });
    expect(withEvm.chains.networks.TRC20.adapter).toBe('none');
  });

  it('refuses the sandbox chain, a missing key and the public test keys', () => {
    expect(() => loadConfig({ ...PRODUCTION, CHAIN_ADAPTER_TRC20: 'sandbox' })).toThrow(
      'production mode refuses CHAIN_ADAPTER_TRC20=sandbox: the sandbox chain moves no real coins',
    );
    expect(() => loadConfig({ ...PRODUCTION, EVM_RPC_URL_ERC20: 'https://rpc.example' })).toThrow('HOT_WALLET_PRIVATE_KEY is needed');
    expect(() => loadConfig({ ...PRODUCTION, EVM_RPC_URL_ERC20: 'https://rpc.example', HOT_WALLET_PRIVATE_KEY: ANVIL_KEY_0 })).toThrow(
      'production mode refuses HOT_WALLET_PRIVATE_KEY: it is a public test key (address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266)',
    );
  });
});
