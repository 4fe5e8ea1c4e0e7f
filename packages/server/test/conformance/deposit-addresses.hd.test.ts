import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/lib/provider-error.ts';
import { HdDepositAddresses } from '../../src/modules/settlement/hd-deposit-addresses.ts';
import { describeDepositAddressProvider } from './deposit-addresses.ts';

// anvil's public test mnemonic: its accounts are the addresses at m/44'/60'/0'/0/<index>.
const seed = pbkdf2(sha512, 'test test test test test test test test test test test junk', 'mnemonic', { c: 2048, dkLen: 64 });
const root = HDKey.fromMasterSeed(seed);
const xpub = (path: string) => root.derive(path).publicExtendedKey;
const EVM = xpub("m/44'/60'/0'");
const TRON = xpub("m/44'/195'/0'");
const BITCOIN = xpub("m/84'/0'/0'");

const keys = (value: string, setting = 'DEPOSIT_XPUB') => ({ value, setting });
const everyFamily = () => new HdDepositAddresses({ extendedKeys: { evm: keys(EVM), tron: keys(TRON), bitcoin: keys(BITCOIN) } });

describeDepositAddressProvider('hd', everyFamily, { unsupportedNetworks: ['SOL'] });

describe('hd specifics', () => {
  const request = { transactionId: '5f0c8a86-1f5e-4a51-9d7e-0c6bbbd52f2a', currency: 'USDT', network: 'ERC20' } as const;

  it('derives <xpub>/0/<index>: the reserved index decides the address, the transaction id does not', async () => {
    const hd = everyFamily();
    expect(await hd.allocate({ ...request, index: 0 })).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(await hd.allocate({ ...request, index: 1 })).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
    expect(await hd.allocate({ ...request, transactionId: 'another', index: 1 })).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
  });

  it('refuses a network whose family has no key, and Solana, with ProviderError rejected naming the reason', async () => {
    const evmOnly = new HdDepositAddresses({ extendedKeys: { evm: keys(EVM, 'DEPOSIT_XPUB_EVM') } });
    await expect(evmOnly.allocate({ ...request, network: 'TRC20', index: 3 })).rejects.toMatchObject({
      provider: 'hd',
      kind: 'rejected',
      message: 'no extended public key is configured for TRC20 (DEPOSIT_XPUB or DEPOSIT_XPUB_TRON)',
    });
    const solana = await evmOnly.allocate({ ...request, currency: 'SOL', network: 'SOL', index: 3 }).catch((error: unknown) => error);
    expect(solana).toBeInstanceOf(ProviderError);
    expect((solana as Error).message).toMatch(/ed25519/);
    expect(await evmOnly.allocate({ ...request, network: 'BEP20', index: 3 })).toMatch(/^0x[0-9a-fA-F]{40}$/);
  });

  it('refuses an index outside the non-hardened range', async () => {
    await expect(everyFamily().allocate({ ...request, index: 2 ** 31 })).rejects.toMatchObject({ kind: 'rejected' });
  });

  it('a private key or a broken key stops the start, naming the setting and never the key', () => {
    const xprv = root.derive("m/44'/60'/0'").privateExtendedKey;
    const build = (value: string) => () => new HdDepositAddresses({ extendedKeys: { tron: keys(value, 'DEPOSIT_XPUB_TRON') } });
    expect(build(xprv)).toThrow(/^DEPOSIT_XPUB_TRON is a private key \(xprv\)/);
    expect(build(`${EVM.slice(0, -2)}xx`)).toThrow(/^DEPOSIT_XPUB_TRON is not an extended public key/);
    try {
      build(xprv)();
    } catch (error) {
      expect((error as Error).message).not.toContain(xprv.slice(4, 30));
    }
  });
});
