/**
 * What the card forms check before anything is sent (the payment card of a buy, the payout card of a
 * sell): the same rules as the platform's (12 to 19 digits passing the Luhn check, an expiry not in a
 * past month, UTC, a 3-digit CVC or 4 for American Express), so the user hears about a typo at once.
 * Pure functions: no DOM, nothing kept.
 */

/** The brands the platform names (its CARD_BRANDS), detected from the number's issuer prefix. */
export const CARD_BRANDS = ['visa', 'mastercard', 'amex', 'discover', 'jcb', 'diners', 'unionpay', 'unknown'] as const;
export type CardBrand = (typeof CARD_BRANDS)[number];

/** How each brand is written for the user (a brand's own name, the same in every language). */
export const BRAND_NAMES: Record<CardBrand, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
  jcb: 'JCB',
  diners: 'Diners Club',
  unionpay: 'UnionPay',
  unknown: '',
};

/** The brand of a (possibly partial) number, as the platform decides it. */
export function cardBrand(typed: string): CardBrand {
  const digits = onlyDigits(typed);
  if (digits === '') return 'unknown';
  const prefix2 = Number(digits.slice(0, 2));
  const prefix3 = Number(digits.slice(0, 3));
  const prefix4 = Number(digits.slice(0, 4));
  if (digits.startsWith('4')) return 'visa';
  if ((prefix2 >= 51 && prefix2 <= 55) || (prefix4 >= 2221 && prefix4 <= 2720)) return 'mastercard';
  if (prefix2 === 34 || prefix2 === 37) return 'amex';
  if (prefix4 === 6011 || prefix2 === 65 || (prefix3 >= 644 && prefix3 <= 649)) return 'discover';
  if (prefix4 >= 3528 && prefix4 <= 3589) return 'jcb';
  if ((prefix3 >= 300 && prefix3 <= 305) || prefix2 === 36 || prefix2 === 38 || prefix2 === 39) return 'diners';
  if (prefix2 === 62) return 'unionpay';
  return 'unknown';
}

const onlyDigits = (typed: string) => typed.replace(/\D/g, '');

/** The most digits a number of this brand has (American Express 15, any other up to 19). */
export const maxDigits = (brand: CardBrand) => (brand === 'amex' ? 15 : 19);

/** The card number's digits as typed or pasted (spaces, dashes and anything else dropped), cut to the brand's length. */
export function cardDigits(typed: string): string {
  const digits = onlyDigits(typed);
  return digits.slice(0, maxDigits(cardBrand(digits)));
}

/** The number grouped as it is printed on the card: 4-6-5 for American Express, groups of four otherwise. */
export function formatCardNumber(typed: string): string {
  const digits = cardDigits(typed);
  if (cardBrand(digits) === 'amex') {
    return [digits.slice(0, 4), digits.slice(4, 10), digits.slice(10, 15)].filter(Boolean).join(' ');
  }
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** The Luhn (mod 10) check every card number passes. */
export function passesLuhn(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export type FieldIssue = 'required' | 'invalid' | 'expired';

/** What is wrong with a card number as typed, or null: missing, or not 12 to 19 digits passing the Luhn check. */
export function cardNumberIssue(typed: string): FieldIssue | null {
  const digits = cardDigits(typed);
  if (digits === '') return 'required';
  return /^\d{12,19}$/.test(digits) && passesLuhn(digits) ? null : 'invalid';
}

/**
 * The expiry as the user types it, "MM/YY": the slash comes once a third digit is typed (so deleting
 * past it works), "1/" becomes "01/", and an autofilled "01/2030" or "0130" becomes "01/30".
 */
export function formatExpiry(typed: string): string {
  const separated = typed.match(/^\s*(\d{1,2})\s*[/\-.]\s*(\d*)\s*$/);
  if (separated) {
    const month = separated[1]!;
    let year = separated[2]!;
    if (year.length === 4) year = year.slice(2);
    return `${month.padStart(2, '0')}/${year.slice(0, 2)}`;
  }
  const digits = onlyDigits(typed);
  if (digits.length === 6) return `${digits.slice(0, 2)}/${digits.slice(4, 6)}`;
  const kept = digits.slice(0, 4);
  return kept.length > 2 ? `${kept.slice(0, 2)}/${kept.slice(2)}` : kept;
}

/** The month and four-digit year of an expiry typed as "MM/YY" (or "MM/YYYY", "MMYY"), or null. */
export function parseExpiry(typed: string): { month: number; year: number } | null {
  const value = typed.replace(/\s/g, '');
  const parts = value.match(/^(\d{1,2})[/\-.](\d{2}|\d{4})$/) ?? value.match(/^(\d{2})(\d{2})$/);
  if (!parts) return null;
  const month = Number(parts[1]);
  const year = parts[2]!.length === 2 ? 2000 + Number(parts[2]) : Number(parts[2]);
  if (month < 1 || month > 12 || year < 2000 || year > 2199) return null;
  return { month, year };
}

/** What is wrong with an expiry, or null. A card is good until the end of its expiry month (UTC, as the platform judges it). */
export function expiryIssue(typed: string, now: Date): FieldIssue | null {
  if (typed.trim() === '') return 'required';
  const expiry = parseExpiry(typed);
  if (!expiry) return 'invalid';
  const thisYear = now.getUTCFullYear();
  const thisMonth = now.getUTCMonth() + 1;
  if (expiry.year < thisYear || (expiry.year === thisYear && expiry.month < thisMonth)) return 'expired';
  return null;
}

/** How many digits the security code of this brand has. */
export const cvcLength = (brand: CardBrand) => (brand === 'amex' ? 4 : 3);

/** The CVC's digits as typed, cut to the brand's length. */
export const cvcDigits = (typed: string, brand: CardBrand) => onlyDigits(typed).slice(0, cvcLength(brand));

/** What is wrong with a CVC for this brand, or null. */
export function cvcIssue(typed: string, brand: CardBrand): FieldIssue | null {
  const cvc = typed.trim();
  if (cvc === '') return 'required';
  return new RegExp(`^\\d{${cvcLength(brand)}}$`).test(cvc) ? null : 'invalid';
}

/** Characters a name may not hold (controls and invisible ones), as the platform refuses them. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;

/** What is wrong with the name on a card, or null: 1 to 100 printable characters. */
export function holderNameIssue(typed: string): FieldIssue | null {
  const name = typed.trim();
  if (name === '') return 'required';
  return name.length > 100 || INVISIBLE.test(name) ? 'invalid' : null;
}

/**
 * Where the caret goes in a reformatted value: just after its `digitsBefore`-th digit (the digits the
 * user had before the caret), so typing or deleting in the middle does not throw it to the end.
 */
export function caretAfterDigits(formatted: string, digitsBefore: number): number {
  if (digitsBefore <= 0) return 0;
  let seen = 0;
  for (let index = 0; index < formatted.length; index++) {
    if (/\d/.test(formatted[index]!)) seen++;
    if (seen === digitsBefore) return index + 1;
  }
  return formatted.length;
}

/** How many digits come before position `caret` of `typed`. */
export const digitsBefore = (typed: string, caret: number) => onlyDigits(typed.slice(0, caret)).length;
