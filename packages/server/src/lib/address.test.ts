import { sha256 } from '@noble/hashes/sha2.js';
import { bech32, bech32m, createBase58check } from '@scure/base';
import { describe, expect, it } from 'vitest';
import type { AddressCheck, AddressFormat } from './address.ts';
import { deriveSandboxAddress, validateAddress } from './address.ts';

const FORMATS: AddressFormat[] = ['evm', 'tron', 'bitcoin', 'solana'];

function expectIssue(result: AddressCheck, pattern: RegExp): void {
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.issue).toMatch(pattern);
}

// Builds a correctly-checksummed base58check string so tests can target the
// version/length rules without relying on a hand-typed checksum.
const b58check = createBase58check(sha256);
function versioned(version: number, bodyLength = 20): string {
  const payload = new Uint8Array(bodyLength + 1);
  payload[0] = version;
  for (let i = 1; i < payload.length; i++) payload[i] = i;
  return b58check.encode(payload);
}
/** The version byte followed by 20 zero bytes: the all-zero address of a base58check chain. */
function zeroBodied(version: number): string {
  const payload = new Uint8Array(21);
  payload[0] = version;
  return b58check.encode(payload);
}

describe('validateAddress: common input rules', () => {
  const valid: Record<AddressFormat, string> = {
    evm: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    tron: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
    bitcoin: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
    solana: 'EPjFWdd5AufqSSqeM2qN1xxoWYtE1LUAcBMSk4xJ3n1v',
  };

  for (const format of FORMATS) {
    it(`${format}: rejects surrounding whitespace instead of trimming`, () => {
      expect(validateAddress(format, valid[format]).ok).toBe(true);
      for (const padded of [` ${valid[format]}`, `${valid[format]} `, `${valid[format]}\n`, `\t${valid[format]}`]) {
        expectIssue(validateAddress(format, padded), /whitespace/);
      }
    });

    it(`${format}: rejects empty and over-long input`, () => {
      expectIssue(validateAddress(format, ''), /empty/);
      expectIssue(validateAddress(format, '1'.repeat(129)), /longer than 128/);
    });
  }

  it('rejects non-string input and unknown formats without throwing', () => {
    expectIssue(validateAddress('evm', undefined as unknown as string), /string/);
    expectIssue(validateAddress('evm', 42 as unknown as string), /string/);
    expectIssue(validateAddress('doge' as AddressFormat, valid.evm), /unknown address format/);
  });

  it('never throws on arbitrary strings', () => {
    // Deterministic PRNG so a failure is reproducible.
    let state = 0x12345678;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    const alphabet = '0123456789abcdefABCDEFxXqpzry9lIOoTbc1 \t\n\u0000\u00e9\u0130\ud83d\ude00\ud800';
    const samples = [
      '0x',
      'bc1',
      'BC1',
      'tb1',
      '1',
      'T',
      '\ud800',
      '\u0130'.repeat(40),
      `bc1${'\u0130'.repeat(50)}`,
      ...Object.values(valid).map((v) => `${v.slice(0, -1)}\ud800`),
    ];
    for (let n = 0; n < 3000; n++) {
      const len = next() % 100;
      let s = '';
      for (let i = 0; i < len; i++) s += alphabet[next() % alphabet.length];
      samples.push(s);
    }
    for (const format of FORMATS) {
      for (const s of samples) {
        const result = validateAddress(format, s);
        expect(typeof result.ok).toBe('boolean');
      }
    }
  });
});

describe('validateAddress: evm', () => {
  // Checksummed examples from EIP-55.
  const eip55 = [
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    // EIP-55's "all caps" and "all lower" examples are their own checksum.
    '0x52908400098527886E0F7030069857D2E4169EE7',
    '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
    '0xde709f2102306220921060314715629080e2fb77',
    '0x27b1fdb04752bbc536007a920d24acb045561c26',
  ];

  it('accepts EIP-55 checksummed addresses unchanged', () => {
    for (const address of eip55) expect(validateAddress('evm', address)).toEqual({ ok: true, address });
  });

  it('accepts single-case input and returns the checksummed form', () => {
    for (const address of eip55) {
      const hex = address.slice(2);
      expect(validateAddress('evm', `0x${hex.toLowerCase()}`)).toEqual({ ok: true, address });
      expect(validateAddress('evm', `0x${hex.toUpperCase()}`)).toEqual({ ok: true, address });
    }
  });

  it('rejects mixed case that does not match EIP-55', () => {
    // Last letter's case flipped.
    expect(validateAddress('evm', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD')).toEqual({
      ok: false,
      issue: 'bad EIP-55 checksum',
    });
    // One hex digit changed, original casing kept: the checksum no longer fits.
    expect(validateAddress('evm', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAee')).toEqual({
      ok: false,
      issue: 'bad EIP-55 checksum',
    });
    expect(validateAddress('evm', '0xFb6916095ca1df60bB79Ce92cE3Ea74c37c5d359')).toEqual({
      ok: false,
      issue: 'bad EIP-55 checksum',
    });
  });

  it('rejects the zero address in any spelling', () => {
    expectIssue(validateAddress('evm', `0x${'0'.repeat(40)}`), /zero address/);
    expectIssue(validateAddress('evm', `0X${'0'.repeat(40)}`), /0x followed by 40 hex/);
  });

  it('rejects wrong shape', () => {
    const hex = '5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
    for (const bad of [
      hex, // no prefix
      `0X${hex}`,
      `0x${hex.slice(1)}`, // 39 hex
      `0x${hex}0`, // 41 hex
      `0x${hex.slice(0, -1)}g`,
      '0x',
    ]) {
      expectIssue(validateAddress('evm', bad), /0x followed by 40 hex/);
    }
  });
});

describe('validateAddress: tron', () => {
  it('accepts real TRON addresses unchanged', () => {
    for (const address of ['TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t']) {
      expect(validateAddress('tron', address)).toEqual({ ok: true, address });
    }
  });

  it('rejects a changed character, wrong case and truncation as checksum failures', () => {
    for (const bad of [
      'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u',
      'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T',
      'tR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
      'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6',
    ]) {
      expectIssue(validateAddress('tron', bad), /checksum/);
    }
  });

  it('rejects the zero address (version byte, then 20 zero bytes), where funds are burnt', () => {
    expect(zeroBodied(0x41)).toBe('T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb');
    expectIssue(validateAddress('tron', zeroBodied(0x41)), /zero address/);
  });

  it('rejects other chains and non-base58 characters', () => {
    expectIssue(validateAddress('tron', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'), /not a TRON address/);
    expectIssue(validateAddress('tron', versioned(0x41, 19)), /not a TRON address/);
    expectIssue(validateAddress('tron', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'), /base58 character/);
    expectIssue(validateAddress('tron', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj60'), /base58 character/);
  });
});

describe('validateAddress: bitcoin', () => {
  it('accepts mainnet base58 P2PKH and P2SH unchanged', () => {
    for (const address of [
      '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', // genesis coinbase
      '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
      '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
    ]) {
      expect(validateAddress('bitcoin', address)).toEqual({ ok: true, address });
    }
  });

  it('accepts BIP-173 / BIP-350 mainnet segwit vectors, lowercased', () => {
    for (const address of [
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', // v0 P2WPKH
      'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4',
      'bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3', // v0 P2WSH
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', // v1 taproot
    ]) {
      expect(validateAddress('bitcoin', address)).toEqual({ ok: true, address: address.toLowerCase() });
    }
  });

  it('rejects base58 mutations', () => {
    for (const bad of [
      '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb',
      '1a1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
      '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN',
      '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz',
    ]) {
      expectIssue(validateAddress('bitcoin', bad), /checksum/);
    }
    expectIssue(validateAddress('bitcoin', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0'), /base58 character/);
    expectIssue(validateAddress('bitcoin', versioned(0x00, 19)), /payload length/);
    expectIssue(validateAddress('bitcoin', versioned(0x30)), /unknown version/); // Litecoin P2PKH byte
    expectIssue(validateAddress('bitcoin', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'), /unknown version/);
  });

  it('rejects all-zero hashes and witness programs: nobody can spend from them', () => {
    expect(zeroBodied(0x00)).toBe('1111111111111111111114oLvT2');
    const segwit = (version: number, length: number) =>
      (version === 0 ? bech32 : bech32m).encode('bc', [version, ...bech32.toWords(new Uint8Array(length))]);
    for (const zero of [zeroBodied(0x00), zeroBodied(0x05), segwit(0, 20), segwit(0, 32), segwit(1, 32)]) {
      expectIssue(validateAddress('bitcoin', zero), /zero address/);
      expectIssue(validateAddress('bitcoin', zero.toUpperCase().startsWith('BC1') ? zero.toUpperCase() : zero), /zero address/);
    }
  });

  it('rejects testnet and regtest addresses with a clear issue', () => {
    for (const bad of [
      'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7', // BIP-173 valid testnet
      'TB1QRP33G0Q5C5TXSP9ARYSRX4K6ZDKFS4NCE4XJ0GDCCCEFVPYSXF3Q0SL5K7',
      'tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47',
      'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080',
      'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', // testnet P2PKH (m/n)
      '2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc', // testnet P2SH (2)
      versioned(0x6f),
      versioned(0xc4),
    ]) {
      expectIssue(validateAddress('bitcoin', bad), /testnet/);
    }
  });

  it('rejects bech32 mutations', () => {
    expectIssue(validateAddress('bitcoin', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5'), /checksum/);
    expectIssue(validateAddress('bitcoin', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t'), /checksum/);
    expectIssue(validateAddress('bitcoin', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kV8f3t4'), /mixed-case/);
    expectIssue(validateAddress('bitcoin', 'Bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'), /mixed-case/);
    expectIssue(validateAddress('bitcoin', 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj1'), /checksum/);
  });

  it('rejects BIP-350 invalid mainnet vectors', () => {
    const cases: Array<[string, RegExp]> = [
      ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd', /must use bech32m/],
      ['BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL', /must use bech32m/],
      ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh', /must use bech32 checksum/],
      ['bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4', /checksum or character/],
      ['BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R', /invalid witness version/],
      ['bc1pw5dgrnzv', /program length/],
      ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav', /program length/],
      ['BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P', /20 or 32 bytes/],
      ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf', /padding/],
      ['bc1gmk9yu', /missing witness version/],
      ['tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut', /./], // unknown HRP
    ];
    for (const [bad, issue] of cases) expectIssue(validateAddress('bitcoin', bad), issue);
  });

  it('rejects well-formed future witness versions (no spending rules yet)', () => {
    // Valid per BIP-350, deliberately refused as payout destinations.
    for (const bad of [
      'bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs', // v2
      'BC1SW50QGDZ25J', // v16
      'bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y', // v1, 40 bytes
    ]) {
      expectIssue(validateAddress('bitcoin', bad), /unsupported witness/);
    }
  });
});

describe('validateAddress: solana', () => {
  it('accepts 32-byte base58 keys unchanged', () => {
    for (const address of [
      'EPjFWdd5AufqSSqeM2qN1xxoWYtE1LUAcBMSk4xJ3n1v', // USDC mint
      'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA', // SPL token program
    ]) {
      expect(validateAddress('solana', address)).toEqual({ ok: true, address });
    }
  });

  it('rejects the all-zero key (the system program), where funds are burnt', () => {
    expectIssue(validateAddress('solana', '11111111111111111111111111111111'), /zero address/);
  });

  it('rejects wrong length and non-base58 characters', () => {
    expectIssue(validateAddress('solana', '1'.repeat(31)), /32 bytes/);
    expectIssue(validateAddress('solana', '1'.repeat(33)), /32 bytes/);
    // 43-character keys exist, so truncate by two: 42 base58 chars hold at most 31 bytes.
    expectIssue(validateAddress('solana', 'EPjFWdd5AufqSSqeM2qN1xxoWYtE1LUAcBMSk4xJ3n'), /32 bytes/);
    expectIssue(validateAddress('solana', 'EPjFWdd5AufqSSqeM2qN1xxoWYtE1LUAcBMSk4xJ3n1vv'), /32 bytes/);
    for (const ch of ['0', 'O', 'I', 'l', '+']) {
      expectIssue(validateAddress('solana', `EPjFWdd5AufqSSqeM2qN1xxoWYtE1LUAcBMSk4xJ3n1${ch}`), /base58 character/);
    }
    expectIssue(validateAddress('solana', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'), /base58 character/);
  });
});

describe('deriveSandboxAddress', () => {
  const seedA = Uint8Array.from({ length: 32 }, (_, i) => i);
  const seedB = Uint8Array.from(seedA, (b, i) => (i === 31 ? b ^ 1 : b)); // differs only in the last byte
  const seedLong = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
  const zeros = new Uint8Array(32);

  for (const format of FORMATS) {
    it(`${format}: produces addresses that validate, round-tripping unchanged`, () => {
      for (const seed of [seedA, seedB, seedLong, zeros]) {
        const address = deriveSandboxAddress(format, seed);
        expect(validateAddress(format, address)).toEqual({ ok: true, address });
      }
    });

    it(`${format}: is deterministic and seed-sensitive`, () => {
      expect(deriveSandboxAddress(format, seedA)).toBe(deriveSandboxAddress(format, Uint8Array.from(seedA)));
      const outputs = new Set([seedA, seedB, seedLong, zeros].map((s) => deriveSandboxAddress(format, s)));
      expect(outputs.size).toBe(4);
    });
  }

  it('bitcoin sandbox addresses are mainnet P2WPKH', () => {
    expect(deriveSandboxAddress('bitcoin', seedA)).toMatch(/^bc1q[02-9ac-hj-np-z]{38}$/);
  });

  it('rejects seeds shorter than 32 bytes', () => {
    expect(() => deriveSandboxAddress('evm', new Uint8Array(31))).toThrow(RangeError);
  });
});
