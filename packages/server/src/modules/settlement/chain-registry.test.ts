import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { systemClock } from '../../lib/clock.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import { buildProviders } from '../../providers.ts';

const OWN_KEY = `0x${'4c'.repeat(32)}`;
const chainsOf = (env: Record<string, string>) =>
  buildProviders({ config: loadConfig(env), clock: systemClock, signingSecret: 's'.repeat(40) }).chains;

describe('Providers.chains', () => {
  it('puts every network on one sandbox chain in development, each needing two confirmations', () => {
    const chains = chainsOf({});
    expect(chains.networks).toEqual(['TRC20', 'ERC20', 'BEP20', 'POLYGON', 'BITCOIN', 'SOL']);
    expect(new Set(chains.networks.map((network) => chains.chainFor(network))).size).toBe(1);
    expect(chains.chainFor('TRC20').name).toBe('sandbox-chain');
    expect(chains.confirmationsFor('BITCOIN')).toBe(2);
  });

  it('builds one EVM adapter for the networks with an RPC URL, with the hot wallet’s address on each', () => {
    const chains = chainsOf({
      EVM_RPC_URL_ERC20: 'http://127.0.0.1:9',
      EVM_RPC_URL_POLYGON: 'http://127.0.0.1:9',
      HOT_WALLET_PRIVATE_KEY: OWN_KEY,
      CONFIRMATIONS_ERC20: '20',
      CHAIN_ADAPTER_SOL: 'none',
    });
    const evm = chains.chainFor('ERC20');
    expect(evm.name).toBe('evm');
    expect(chains.chainFor('POLYGON')).toBe(evm);
    expect(evm.networks).toEqual(['ERC20', 'POLYGON']);
    expect(evm.hotWalletAddress({ network: 'POLYGON' })).toBe(evm.hotWalletAddress({ network: 'ERC20' }));
    expect(chains.chainFor('BEP20').name).toBe('sandbox-chain');
    expect(chains.confirmationsFor('ERC20')).toBe(20);
    expect(chains.confirmationsFor('POLYGON')).toBe(64);
    expect(chains.networks).not.toContain('SOL');
  });

  it('refuses a network on none with ProviderError rejected, for good', () => {
    const chains = chainsOf({ CHAIN_ADAPTER_SOL: 'none' });
    let caught: unknown;
    try {
      chains.chainFor('SOL');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    expect(caught).toMatchObject({ kind: 'rejected', retryable: false, message: expect.stringContaining('CHAIN_ADAPTER_SOL=none') });
  });

  it('keeps a chains group a test passes in', () => {
    const chains = chainsOf({});
    const providers = buildProviders({ config: loadConfig({}), clock: systemClock, signingSecret: 's'.repeat(40) }, { chains });
    expect(providers.chains).toBe(chains);
  });
});
