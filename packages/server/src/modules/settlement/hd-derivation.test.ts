import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { describe, expect, it } from 'vitest';
import { validateAddress } from '../../lib/address.ts';
import { addressOfPublicKey, derivePublicKey, ExtendedKeyError, MAX_DERIVATION_INDEX, parseExtendedPublicKey } from './hd-derivation.ts';

/** BIP-39 seed of a mnemonic (no passphrase): PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic". */
const seedOf = (mnemonic: string) => pbkdf2(sha512, mnemonic, 'mnemonic', { c: 2048, dkLen: 64 });

// Public test mnemonics: anvil's and Hardhat's accounts, and the one BIP-84 takes its test vectors from.
const ANVIL = 'test test test test test test test test test test test junk';
const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

const accountXpub = (mnemonic: string, path: string) => HDKey.fromMasterSeed(seedOf(mnemonic)).derive(path).publicExtendedKey;
const addressAt = (xpub: string, format: 'evm' | 'tron' | 'bitcoin', index: number) =>
  addressOfPublicKey(format, derivePublicKey(parseExtendedPublicKey(xpub), index));

describe('HD deposit address derivation', () => {
  it("EVM: the account xpub of m/44'/60'/0' gives anvil's well-known accounts at /0/0 and /0/1, EIP-55 cased", () => {
    const xpub = accountXpub(ANVIL, "m/44'/60'/0'");
    expect(addressAt(xpub, 'evm', 0)).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(addressAt(xpub, 'evm', 1)).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
  });

  it('Bitcoin: the BIP-84 test vectors (zpub of the "abandon … about" account) give its first receive addresses', () => {
    const zpub = 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
    expect(parseExtendedPublicKey(zpub).kind).toBe('zpub');
    expect(addressAt(zpub, 'bitcoin', 0)).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
    expect(addressAt(zpub, 'bitcoin', 1)).toBe('bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g');
  });

  it("TRON: the xpub of m/44'/195'/0' gives TronLink's first address of the \"abandon … about\" wallet", () => {
    expect(addressAt(accountXpub(ABANDON, "m/44'/195'/0'"), 'tron', 0)).toBe('TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH');
  });

  it('TRON and EVM addresses of one key carry the same 20 bytes; every derived address passes the platform’s own check', () => {
    const xpub = accountXpub(ANVIL, "m/44'/60'/0'");
    for (let index = 0; index < 20; index++) {
      const evm = addressAt(xpub, 'evm', index);
      const tron = addressAt(xpub, 'tron', index);
      expect(validateAddress('evm', evm)).toEqual({ ok: true, address: evm });
      expect(validateAddress('tron', tron)).toEqual({ ok: true, address: tron });
      expect(validateAddress('bitcoin', addressAt(xpub, 'bitcoin', index)).ok).toBe(true);
    }
  });

  it('gives a different address at every index, the same one for the same index', () => {
    const xpub = accountXpub(ANVIL, "m/44'/60'/0'");
    const addresses = Array.from({ length: 100 }, (_, index) => addressAt(xpub, 'evm', index));
    expect(new Set(addresses).size).toBe(100);
    expect(addressAt(xpub, 'evm', 42)).toBe(addresses[42]);
  });

  it('derives only non-hardened indexes (0 … 2^31−1)', () => {
    const parent = parseExtendedPublicKey(accountXpub(ANVIL, "m/44'/60'/0'"));
    expect(() => derivePublicKey(parent, MAX_DERIVATION_INDEX)).not.toThrow();
    for (const index of [-1, MAX_DERIVATION_INDEX + 1, 1.5, Number.NaN]) expect(() => derivePublicKey(parent, index)).toThrow(RangeError);
  });

  it('refuses a private key by name, other key kinds with the reason, and garbage', () => {
    const root = HDKey.fromMasterSeed(seedOf(ANVIL)).derive("m/44'/60'/0'");
    expect(() => parseExtendedPublicKey(root.privateExtendedKey)).toThrow(/is a private key \(xprv\)/);
    const ypub = HDKey.fromMasterSeed(seedOf(ANVIL), { public: 0x049d7cb2, private: 0x049d7878 }).publicExtendedKey;
    expect(() => parseExtendedPublicKey(ypub)).toThrow(/ypub/);
    const tpub = HDKey.fromMasterSeed(seedOf(ANVIL), { public: 0x043587cf, private: 0x04358394 }).publicExtendedKey;
    expect(() => parseExtendedPublicKey(tpub)).toThrow(/testnet/);
    const xpub = root.publicExtendedKey;
    expect(() => parseExtendedPublicKey(`${xpub.slice(0, -1)}${xpub.endsWith('a') ? 'b' : 'a'}`)).toThrow(ExtendedKeyError);
    expect(() => parseExtendedPublicKey('not a key')).toThrow(ExtendedKeyError);
    expect(() => parseExtendedPublicKey('')).toThrow(ExtendedKeyError);
  });

  it('the message for a private key never repeats the key', () => {
    const xprv = HDKey.fromMasterSeed(seedOf(ANVIL)).privateExtendedKey;
    const error = (() => {
      try {
        parseExtendedPublicKey(xprv);
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).not.toContain(xprv.slice(4, 20));
  });

  it('refuses Solana: its ed25519 keys cannot come from a secp256k1 key', () => {
    const key = derivePublicKey(parseExtendedPublicKey(accountXpub(ANVIL, "m/44'/60'/0'")), 0);
    expect(() => addressOfPublicKey('solana', key)).toThrow(/ed25519/);
  });
});
