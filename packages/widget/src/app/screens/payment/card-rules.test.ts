import { describe, expect, it } from 'vitest';
import {
  CARD_BRANDS,
  cardBrand,
  cardDigits,
  cardNumberIssue,
  caretAfterDigits,
  cvcDigits,
  cvcIssue,
  digitsBefore,
  expiryIssue,
  formatCardNumber,
  formatExpiry,
  holderNameIssue,
  parseExpiry,
  passesLuhn,
} from './card-rules.ts';

describe('card numbers', () => {
  it("keeps only the digits typed or pasted, up to the brand's length", () => {
    expect(cardDigits('4242 4242-4242 4242')).toBe('4242424242424242');
    expect(cardDigits('42a4x2')).toBe('4242');
    expect(cardDigits('4'.repeat(25))).toHaveLength(19);
    expect(cardDigits('3782 822463 100051234')).toBe('378282246310005');
  });

  it('groups them 4-4-4-4 as typed, and 4-6-5 for American Express', () => {
    expect(formatCardNumber('4242')).toBe('4242');
    expect(formatCardNumber('42424')).toBe('4242 4');
    expect(formatCardNumber('4242424242424242')).toBe('4242 4242 4242 4242');
    expect(formatCardNumber('4242 4242 4242 4242 123')).toBe('4242 4242 4242 4242 123');
    expect(formatCardNumber('37828')).toBe('3782 8');
    expect(formatCardNumber('378282246310005')).toBe('3782 822463 10005');
    expect(formatCardNumber('')).toBe('');
  });

  it('passes the Luhn check only with the right check digit', () => {
    expect(passesLuhn('4242424242424242')).toBe(true);
    expect(passesLuhn('5555555555554444')).toBe(true);
    expect(passesLuhn('378282246310005')).toBe(true);
    expect(passesLuhn('4242424242424241')).toBe(false);
    expect(passesLuhn('4242 4242')).toBe(false);
    expect(passesLuhn('')).toBe(false);
  });

  it('names the brand as the platform does', () => {
    const seen = {
      visa: '4242424242424242',
      mastercard: '5555555555554444',
      amex: '378282246310005',
      discover: '6011111111111117',
      jcb: '3530111333300000',
      diners: '30569309025904',
      unionpay: '6200000000000005',
      unknown: '9999999999999995',
    } as const;
    for (const [brand, number] of Object.entries(seen)) expect(cardBrand(number), number).toBe(brand);
    expect(cardBrand('2221000000000009')).toBe('mastercard');
    expect(cardBrand('34')).toBe('amex');
    expect(cardBrand('')).toBe('unknown');
    expect([...CARD_BRANDS].sort()).toEqual(Object.keys(seen).sort());
  });

  it('says what is wrong with a number', () => {
    expect(cardNumberIssue('')).toBe('required');
    expect(cardNumberIssue('  ')).toBe('required');
    expect(cardNumberIssue('4242 4242')).toBe('invalid');
    expect(cardNumberIssue('4242 4242 4242 4241')).toBe('invalid');
    expect(cardNumberIssue('4242 4242 4242 4242')).toBeNull();
    expect(cardNumberIssue('4000 0000 0000 3220')).toBeNull();
  });

  it('puts the caret back after the same digit once regrouped', () => {
    // "4242 |4242" with a digit typed before the space: "4242 9|4242" regroups as "4242 9424 2"
    const typed = '4242 94242';
    const caret = 6;
    const formatted = formatCardNumber(typed);
    expect(formatted).toBe('4242 9424 2');
    expect(caretAfterDigits(formatted, digitsBefore(typed, caret))).toBe(6);
    expect(caretAfterDigits('4242 4242', 4)).toBe(4);
    expect(caretAfterDigits('4242 4242', 0)).toBe(0);
    expect(caretAfterDigits('4242', 9)).toBe(4);
  });
});

describe('expiry dates', () => {
  it('are shaped MM/YY as typed, so deleting past the slash still works', () => {
    expect(formatExpiry('1')).toBe('1');
    expect(formatExpiry('12')).toBe('12');
    expect(formatExpiry('123')).toBe('12/3');
    expect(formatExpiry('1230')).toBe('12/30');
    expect(formatExpiry('12305')).toBe('12/30');
    expect(formatExpiry('12/')).toBe('12/');
    expect(formatExpiry('1/')).toBe('01/');
    expect(formatExpiry('1/3')).toBe('01/3');
    expect(formatExpiry('01/2030')).toBe('01/30');
    expect(formatExpiry('012030')).toBe('01/30');
    expect(formatExpiry('ab')).toBe('');
  });

  it('are read as a month and a four-digit year', () => {
    expect(parseExpiry('12/30')).toEqual({ month: 12, year: 2030 });
    expect(parseExpiry(' 01 / 2031 ')).toEqual({ month: 1, year: 2031 });
    expect(parseExpiry('0130')).toEqual({ month: 1, year: 2030 });
    expect(parseExpiry('1/30')).toEqual({ month: 1, year: 2030 });
    expect(parseExpiry('13/30')).toBeNull();
    expect(parseExpiry('00/30')).toBeNull();
    expect(parseExpiry('12/3')).toBeNull();
    expect(parseExpiry('')).toBeNull();
  });

  it('are good until the end of their month (UTC), never in the past', () => {
    const now = new Date('2026-05-31T23:59:59Z');
    expect(expiryIssue('', now)).toBe('required');
    expect(expiryIssue('5/2', now)).toBe('invalid');
    expect(expiryIssue('05/26', now)).toBeNull();
    expect(expiryIssue('06/26', now)).toBeNull();
    expect(expiryIssue('04/26', now)).toBe('expired');
    expect(expiryIssue('12/25', now)).toBe('expired');
    expect(expiryIssue('05/26', new Date('2026-06-01T00:00:00Z'))).toBe('expired');
  });
});

describe('security codes and names', () => {
  it('take 3 digits, 4 for American Express', () => {
    expect(cvcIssue('', 'visa')).toBe('required');
    expect(cvcIssue('123', 'visa')).toBeNull();
    expect(cvcIssue('12', 'visa')).toBe('invalid');
    expect(cvcIssue('1234', 'visa')).toBe('invalid');
    expect(cvcIssue('123', 'amex')).toBe('invalid');
    expect(cvcIssue('1234', 'amex')).toBeNull();
    expect(cvcIssue('12a', 'unknown')).toBe('invalid');
    expect(cvcDigits('1 2 3 4', 'visa')).toBe('123');
    expect(cvcDigits('12345', 'amex')).toBe('1234');
  });

  it('need a printable name of at most 100 characters on a payout card', () => {
    expect(holderNameIssue('')).toBe('required');
    expect(holderNameIssue('   ')).toBe('required');
    expect(holderNameIssue('Ada Lovelace')).toBeNull();
    expect(holderNameIssue('José Ñúñez')).toBeNull();
    expect(holderNameIssue('A'.repeat(101))).toBe('invalid');
    expect(holderNameIssue('Ada\u200bLovelace')).toBe('invalid');
  });
});
