import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bech32, createBase58check } from '@scure/base';
import { HDKey } from '@scure/bip32';
import { type AddressFormat, validateAddress } from '../../lib/address.ts';

/**
 * Deposit addresses derived from an extended public key (BIP-32), without I/O. The key is the parent
 * the operator exports from the wallet that holds the private keys, usually an account key such as
 * m/44'/60'/0' (EVM), m/44'/195'/0' (TRON) or m/84'/0'/0' (Bitcoin); transaction number `index` gets
 * the key at `<parent>/0/<index>`, the first ("receive") chain as wallets number it, so importing
 * the account's private key into ordinary wallet software finds the same addresses.
 *
 * Only non-hardened children can be derived from a public key, so an index is below 2^31. The
 * address is then made from the child's public key as the network makes it:
 * - EVM: the last 20 bytes of Keccak-256 over the uncompressed key (without its 0x04), EIP-55 cased;
 * - TRON: the same 20 bytes after the version byte 0x41, base58check;
 * - Bitcoin: P2WPKH, witness v0 of HASH160(compressed key), bech32 with the prefix `bc`.
 * Solana keys are ed25519: they cannot come from a secp256k1 extended key at all.
 */

/** The largest non-hardened child index (BIP-32: indexes from 2^31 are hardened). */
export const MAX_DERIVATION_INDEX = 0x7fff_ffff;

const base58check = createBase58check(sha256);

/** Version bytes of extended public keys we accept, and of private ones we refuse by name. */
const PUBLIC_VERSIONS: Record<string, { name: string; versions: { public: number; private: number } }> = {
  '0488b21e': { name: 'xpub', versions: { public: 0x0488b21e, private: 0x0488ade4 } },
  '04b24746': { name: 'zpub', versions: { public: 0x04b24746, private: 0x04b2430c } },
};
const PRIVATE_VERSIONS: Record<string, string> = {
  '0488ade4': 'xprv',
  '049d7878': 'yprv',
  '04b2430c': 'zprv',
  '04358394': 'tprv',
  '045f18bc': 'vprv',
};
const OTHER_PUBLIC_VERSIONS: Record<string, string> = {
  '049d7cb2': 'a ypub (BIP-49, P2SH-wrapped SegWit): its wallet would not look for the native SegWit addresses derived here',
  '043587cf': 'a tpub (testnet): the platform takes mainnet deposits only',
  '045f1cf6': 'a vpub (testnet): the platform takes mainnet deposits only',
};

/** An extended public key, checked and ready to derive from. */
export interface ExtendedPublicKey {
  /** "xpub" or "zpub". */
  kind: string;
  /** The first four bytes of HASH160 of the key: names it in logs without showing it. */
  fingerprint: string;
  key: HDKey;
}

export class ExtendedKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExtendedKeyError';
  }
}

/**
 * Reads an extended public key (xpub, or zpub for Bitcoin wallets). A private key (xprv …) is
 * refused by name: it must never be configured on a server that only needs to receive.
 */
export function parseExtendedPublicKey(text: string): ExtendedPublicKey {
  let payload: Uint8Array;
  try {
    payload = base58check.decode(text.trim());
  } catch {
    throw new ExtendedKeyError('is not an extended public key (base58check does not decode: a typo, or a cut-off key)');
  }
  if (payload.length !== 78) throw new ExtendedKeyError(`is not an extended key (${payload.length} bytes instead of 78)`);
  const version = Buffer.from(payload.subarray(0, 4)).toString('hex');
  if (PRIVATE_VERSIONS[version]) {
    throw new ExtendedKeyError(
      `is a private key (${PRIVATE_VERSIONS[version]}); give the extended public key (xpub) instead and keep the private one off this server`,
    );
  }
  if (OTHER_PUBLIC_VERSIONS[version]) throw new ExtendedKeyError(`is ${OTHER_PUBLIC_VERSIONS[version]}`);
  const accepted = PUBLIC_VERSIONS[version];
  if (!accepted) throw new ExtendedKeyError(`has unknown version bytes 0x${version} (expected an xpub or a zpub)`);
  let key: HDKey;
  try {
    key = HDKey.fromExtendedKey(text.trim(), accepted.versions);
  } catch (error) {
    throw new ExtendedKeyError(`is not a valid extended public key (${(error as Error).message})`);
  }
  return { kind: accepted.name, fingerprint: key.fingerprint.toString(16).padStart(8, '0'), key };
}

/** The public key (compressed, 33 bytes) of child `<parent>/0/<index>`. */
export function derivePublicKey(parent: ExtendedPublicKey, index: number): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_DERIVATION_INDEX) {
    throw new RangeError(`derivation index must be from 0 to ${MAX_DERIVATION_INDEX}, got ${index}`);
  }
  const child = parent.key.deriveChild(0).deriveChild(index);
  if (!child.publicKey) throw new Error('derived key has no public key');
  return child.publicKey;
}

/** The address of a compressed secp256k1 public key on a network of this format. */
export function addressOfPublicKey(format: AddressFormat, publicKey: Uint8Array): string {
  switch (format) {
    case 'evm':
      return checked('evm', `0x${Buffer.from(keccakAddressBytes(publicKey)).toString('hex')}`);
    case 'tron': {
      const payload = new Uint8Array(21);
      payload[0] = 0x41;
      payload.set(keccakAddressBytes(publicKey), 1);
      return checked('tron', base58check.encode(payload));
    }
    case 'bitcoin': {
      const program = hash160(publicKey);
      return checked('bitcoin', bech32.encode('bc', [0, ...bech32.toWords(program)]));
    }
    case 'solana':
      throw new ExtendedKeyError('Solana addresses are ed25519 keys, which cannot be derived from a secp256k1 extended public key');
  }
}

/** The 20 bytes EVM and TRON addresses are made of: Keccak-256 of the uncompressed key without its prefix. */
function keccakAddressBytes(compressed: Uint8Array): Uint8Array {
  const uncompressed = secp256k1.Point.fromBytes(compressed).toBytes(false);
  return keccak_256(uncompressed.subarray(1)).subarray(12);
}

/** HASH160: RIPEMD-160 of SHA-256, the hash a P2WPKH program is made of. */
function hash160(bytes: Uint8Array): Uint8Array {
  return ripemd160(sha256(bytes));
}

/** Runs the platform's own validation over what was made, so a derived address is one it accepts. */
function checked(format: AddressFormat, address: string): string {
  const check = validateAddress(format, address);
  if (!check.ok) throw new Error(`derived ${format} address does not validate: ${check.issue}`);
  return check.address;
}
