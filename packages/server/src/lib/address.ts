// Wallet-address validation for the chains we pay out to and receive on.
// Pure: no I/O, no clock, no randomness. validateAddress never throws for a
// string input because its result feeds straight into API error responses.

import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { base58, bech32, bech32m, createBase58check } from '@scure/base';

export type AddressFormat = 'evm' | 'tron' | 'bitcoin' | 'solana';
export type AddressCheck = { ok: true; address: string } | { ok: false; issue: string };

const MAX_LENGTH = 128;

const base58check = createBase58check(sha256);

const fail = (issue: string): AddressCheck => ({ ok: false, issue });
const pass = (address: string): AddressCheck => ({ ok: true, address });

// An all-zero hash or key is a placeholder or a burn address: nobody holds its key, so funds sent
// there are lost. Every chain below refuses it with this one issue.
const ZERO_ADDRESS = 'zero address not allowed';
const allZero = (bytes: Uint8Array): boolean => bytes.every((byte) => byte === 0);

export function validateAddress(format: AddressFormat, input: string): AddressCheck {
  // Callers may be plain JS or pass unvalidated JSON, so the types are not trusted.
  if (typeof input !== 'string') return fail('address must be a string');
  if (input.length === 0) return fail('address is empty');
  if (input.length > MAX_LENGTH) return fail(`address longer than ${MAX_LENGTH} characters`);
  // Trimming silently would make the stored address differ from what the user
  // typed; rejecting makes the client fix its input instead.
  if (/^\s|\s$/.test(input)) return fail('address has leading or trailing whitespace');
  switch (format) {
    case 'evm':
      return validateEvm(input);
    case 'tron':
      return validateTron(input);
    case 'bitcoin':
      return validateBitcoin(input);
    case 'solana':
      return validateSolana(input);
    default:
      return fail('unknown address format');
  }
}

// ---------------------------------------------------------------------------
// EVM (ERC20, BEP20, POLYGON)

function eip55(lowerHex: string): string {
  const hash = keccak_256(new TextEncoder().encode(lowerHex));
  let out = '0x';
  for (let i = 0; i < lowerHex.length; i++) {
    const ch = lowerHex[i]!;
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    out += nibble >= 8 ? ch.toUpperCase() : ch;
  }
  return out;
}

function validateEvm(input: string): AddressCheck {
  if (!/^0x[0-9a-fA-F]{40}$/.test(input)) return fail('expected 0x followed by 40 hex characters');
  const hex = input.slice(2);
  const lower = hex.toLowerCase();
  if (/^0+$/.test(lower)) return fail(ZERO_ADDRESS);
  const checksummed = eip55(lower);
  // Single-case input carries no checksum, so there is nothing to verify; we
  // still hand back the checksummed form so stored addresses are canonical.
  if (hex === lower || hex === hex.toUpperCase()) return pass(checksummed);
  if (input !== checksummed) return fail('bad EIP-55 checksum');
  return pass(checksummed);
}

// ---------------------------------------------------------------------------
// Base58Check (TRON, legacy Bitcoin)

type Base58CheckResult = { ok: true; payload: Uint8Array } | { ok: false; issue: string };

// Decoded by hand rather than via base58check.decode so that a typo
// (bad checksum) and a foreign alphabet (bad character) get distinct issues.
function decodeBase58Check(input: string): Base58CheckResult {
  let raw: Uint8Array;
  try {
    raw = base58.decode(input);
  } catch {
    return { ok: false, issue: 'invalid base58 character' };
  }
  if (raw.length < 5) return { ok: false, issue: 'base58check payload too short' };
  const payload = raw.subarray(0, raw.length - 4);
  const checksum = raw.subarray(raw.length - 4);
  const expected = sha256(sha256(payload));
  for (let i = 0; i < 4; i++) {
    if (checksum[i] !== expected[i]) return { ok: false, issue: 'bad base58check checksum' };
  }
  return { ok: true, payload };
}

// ---------------------------------------------------------------------------
// TRON (TRC20)

const TRON_VERSION = 0x41;

function validateTron(input: string): AddressCheck {
  const decoded = decodeBase58Check(input);
  if (!decoded.ok) return fail(decoded.issue);
  const { payload } = decoded;
  if (payload.length !== 21 || payload[0] !== TRON_VERSION) {
    return fail('not a TRON address (expected 21-byte payload with version 0x41)');
  }
  if (allZero(payload.subarray(1))) return fail(ZERO_ADDRESS);
  return pass(input);
}

// ---------------------------------------------------------------------------
// Bitcoin (mainnet only)

const BTC_P2PKH = 0x00;
const BTC_P2SH = 0x05;
const BTC_TESTNET_P2PKH = 0x6f;
const BTC_TESTNET_P2SH = 0xc4;

function validateBitcoin(input: string): AddressCheck {
  const lower = input.toLowerCase();
  // Signet shares the tb prefix with testnet; bcrt is regtest.
  if (lower.startsWith('tb1') || lower.startsWith('bcrt1')) {
    return fail('testnet/regtest address not accepted (mainnet only)');
  }
  if (lower.startsWith('bc1')) return validateSegwit(input);
  return validateBitcoinBase58(input);
}

function validateBitcoinBase58(input: string): AddressCheck {
  const decoded = decodeBase58Check(input);
  if (!decoded.ok) return fail(decoded.issue);
  const { payload } = decoded;
  if (payload.length !== 21) return fail('base58 address has wrong payload length');
  const version = payload[0];
  if (version === BTC_P2PKH || version === BTC_P2SH) return allZero(payload.subarray(1)) ? fail(ZERO_ADDRESS) : pass(input);
  if (version === BTC_TESTNET_P2PKH || version === BTC_TESTNET_P2SH) {
    return fail('testnet address not accepted (mainnet only)');
  }
  return fail('not a Bitcoin address (unknown version byte)');
}

function validateSegwit(input: string): AddressCheck {
  const lower = input.toLowerCase();
  // BIP-173: case must be uniform. Checked up front so the user gets this
  // rather than a generic checksum failure.
  if (input !== lower && input !== input.toUpperCase()) return fail('mixed-case bech32 address');
  // A string cannot satisfy both checksum constants, so at most one decodes;
  // which one tells us the encoding the sender used.
  const asBech32 = bech32.decodeUnsafe(lower);
  const asBech32m = asBech32 ? undefined : bech32m.decodeUnsafe(lower);
  const decoded = asBech32 ?? asBech32m;
  if (!decoded) return fail('bad bech32 checksum or character');
  if (decoded.prefix !== 'bc') return fail('not a Bitcoin mainnet address');
  const [version, ...programWords] = decoded.words;
  if (version === undefined) return fail('missing witness version');
  if (version > 16) return fail('invalid witness version');
  // BIP-350: v0 keeps bech32, v1+ must use bech32m; this is what stops a
  // mistyped v0 address from being read as a valid future-version one.
  if (version === 0 && !asBech32) return fail('witness v0 address must use bech32 checksum');
  if (version !== 0 && !asBech32m) return fail('witness v1+ address must use bech32m checksum');
  // fromWords enforces BIP-173 padding rules (at most 4 zero bits).
  const program = bech32.fromWordsUnsafe(programWords);
  if (!program) return fail('invalid witness program padding');
  if (program.length < 2 || program.length > 40) return fail('invalid witness program length');
  if (allZero(program)) return fail(ZERO_ADDRESS);
  if (version === 0) {
    if (program.length !== 20 && program.length !== 32) {
      return fail('witness v0 program must be 20 or 32 bytes');
    }
    return pass(lower);
  }
  // Other versions/lengths are well-formed per BIP-350 but have no spending
  // rules yet (anyone-can-spend), so a payout there could be lost.
  if (version === 1 && program.length === 32) return pass(lower);
  return fail('unsupported witness version or program (only v0 and v1 taproot)');
}

// ---------------------------------------------------------------------------
// Solana

function validateSolana(input: string): AddressCheck {
  let raw: Uint8Array;
  try {
    raw = base58.decode(input);
  } catch {
    return fail('invalid base58 character');
  }
  if (raw.length !== 32) return fail('Solana address must decode to 32 bytes');
  // 32 zero bytes is the system program, not a wallet.
  if (allZero(raw)) return fail(ZERO_ADDRESS);
  return pass(input);
}

// ---------------------------------------------------------------------------
// Sandbox allocation

/**
 * Deterministic, valid-looking address for the sandbox deposit allocator.
 * Nobody holds a key for these: never hand one out on a real network.
 */
export function deriveSandboxAddress(format: AddressFormat, seed: Uint8Array): string {
  if (!(seed instanceof Uint8Array) || seed.length < 32) {
    throw new RangeError('sandbox seed must be at least 32 bytes');
  }
  // Hash the whole seed rather than slicing it so that seeds differing only in
  // trailing bytes still map to different addresses.
  switch (format) {
    case 'evm':
      return eip55(toHex(keccak_256(seed).subarray(12)));
    case 'tron': {
      const payload = new Uint8Array(21);
      payload[0] = TRON_VERSION;
      payload.set(keccak_256(seed).subarray(12), 1);
      return base58check.encode(payload);
    }
    case 'bitcoin':
      // P2WPKH: the most common modern deposit address shape.
      return bech32.encode('bc', [0, ...bech32.toWords(sha256(seed).subarray(0, 20))]);
    case 'solana':
      return base58.encode(sha256(seed));
    default:
      throw new RangeError('unknown address format');
  }
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
