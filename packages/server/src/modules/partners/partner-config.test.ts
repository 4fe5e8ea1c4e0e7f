import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lib/errors.ts';
import { normalizePartnerInput } from './partner-config.ts';
import { sandboxPartnerInput } from './sandbox-partner.ts';

const base = sandboxPartnerInput('http://localhost:8080');

function refusal(overrides: Parameters<typeof normalizePartnerInput>[0]): ConfigurationError {
  try {
    normalizePartnerInput({ ...base, ...overrides });
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(overrides)}`);
}

describe('normalizePartnerInput: text fields', () => {
  it('keeps a plain name, trimmed, and names in any script', () => {
    expect(normalizePartnerInput({ ...base, name: '  Acme Wallet ' }).name).toBe('Acme Wallet');
    expect(normalizePartnerInput({ ...base, name: 'Ωmega Ödeme 支付' }).name).toBe('Ωmega Ödeme 支付');
  });

  // An operator reads these names in the admin API and the CLI: an invisible or reordering
  // character would let one partner's name pass for another's.
  it.each([
    ['a C1 control character', 'Acme\u0085Wallet'],
    ['a right-to-left override', 'Acme \u202etellaW'],
    ['a directional isolate', 'Acme \u2067Wallet\u2069'],
    ['a right-to-left mark', 'Acme\u200f'],
    ['an Arabic letter mark', 'Acme\u061c'],
    ['a zero-width space', 'Ac\u200bme'],
    ['a zero-width joiner', 'Ac\u200dme'],
    ['a word joiner', 'Ac\u2060me'],
    ['a byte order mark inside', 'Ac\ufeffme'],
  ])('refuses a name with %s', (_label, name) => {
    const error = refusal({ name });
    expect(error.field).toBe('name');
    expect(error.issue).toBe('must be at most 200 printable characters');
  });

  it('refuses a name that is only whitespace or invisible characters', () => {
    for (const name of ['   ', '\u3000', '\u200b', '\u200b\u200c']) expect(refusal({ name }).field).toBe('name');
  });

  it('holds the contact email and partner type to the same rule', () => {
    expect(refusal({ contact_email: 'ops\u200b@acme.example' }).field).toBe('contact_email');
    expect(refusal({ partner_type: 'wallet\u202e' }).field).toBe('partner_type');
  });
});
