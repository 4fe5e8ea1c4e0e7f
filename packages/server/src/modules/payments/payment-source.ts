import { type Static, Type } from 'typebox';
import { ApiError, type ErrorDetail } from '../../lib/errors.ts';
import { PRINTABLE_TEXT, Text } from '../../lib/route-schemas.ts';
import { PAYMENT_METHODS } from './payment-vocabulary.ts';

/**
 * What the user pays with, as the widget sends it, and the checks it must pass before anything
 * reaches a provider. The card number, expiry and CVC go to the payment adapter and nowhere else:
 * the platform keeps the brand and the last four digits (`describeCard`), and no message, error or
 * log line built here contains the number.
 */

/** Body schema of a payment source (the embed API validates its body with it). */
export const PaymentSourceSchema = Type.Object(
  {
    method: Type.Enum(PAYMENT_METHODS, { description: 'card, apple_pay or google_pay.' }),
    card: Type.Optional(
      Type.Object(
        {
          number: Type.String({ minLength: 1, maxLength: 32, description: 'Digits; spaces and dashes between them are ignored.' }),
          expiry_month: Type.Integer({ minimum: 1, maximum: 12 }),
          expiry_year: Type.Integer({ minimum: 2000, maximum: 2199, description: 'Four digits, e.g. 2030.' }),
          cvc: Type.String({ minLength: 1, maxLength: 8 }),
          holder_name: Type.Optional(Text(100)),
        },
        { additionalProperties: false, description: 'Only with method card.' },
      ),
    ),
    token: Type.Optional(
      Type.String({ minLength: 1, maxLength: 16_384, description: 'The Apple Pay or Google Pay payment token; only with those methods.' }),
    ),
  },
  { additionalProperties: false },
);

/** A source as it arrives (already shaped by PaymentSourceSchema, or from a caller that skipped it). */
export type PaymentSourceInput = Static<typeof PaymentSourceSchema>;

export interface CardDetails {
  /** Digits only. */
  number: string;
  expiry_month: number;
  expiry_year: number;
  cvc: string;
  holder_name?: string;
}

/** A checked source: what the payment adapter receives. */
export type PaymentSource = { method: 'card'; card: CardDetails } | { method: 'apple_pay' | 'google_pay'; token: string };

export const CARD_BRANDS = ['visa', 'mastercard', 'amex', 'discover', 'jcb', 'diners', 'unionpay', 'unknown'] as const;
export type CardBrand = (typeof CARD_BRANDS)[number];

/** What the platform may keep about a card: enough for the user to recognise it, nothing to charge it with. */
export interface CardSummary {
  brand: CardBrand;
  last4: string;
}

/**
 * Checks a source and returns it normalised (card digits without separators). Every problem is
 * reported at once as 400 validation_error with one detail per field (`card.number`, `card.cvc`,
 * `token` …); the issues never repeat the value. Expiry is judged against `now` (the platform
 * clock): a card is valid until the end of its expiry month, UTC.
 */
export function checkPaymentSource(input: unknown, now: Date): PaymentSource {
  const details: ErrorDetail[] = [];
  const problem = (field: string, issue: string) => details.push({ field, issue });
  const source = isRecord(input) ? input : {};
  if (!isRecord(input)) problem('source', 'must be an object');
  for (const key of Object.keys(source)) if (!['method', 'card', 'token'].includes(key)) problem(key, 'is not a known field');
  const method = source.method;
  if (!(PAYMENT_METHODS as readonly unknown[]).includes(method)) {
    problem('method', `must be one of: ${PAYMENT_METHODS.join(', ')}`);
    throw refused(details);
  }
  if (method === 'card') {
    if (source.token !== undefined) problem('token', 'is only for apple_pay and google_pay');
    if (!isRecord(source.card)) {
      problem('card', 'is required for method card');
      throw refused(details);
    }
    const card = checkCard(source.card, now, problem);
    if (details.length > 0 || !card) throw refused(details);
    return { method, card };
  }
  if (source.card !== undefined) problem('card', 'is only for method card');
  const token = source.token;
  if (typeof token !== 'string' || token.length === 0) problem('token', `is required for method ${String(method)}`);
  else if (token.length > 16_384) problem('token', 'is too long');
  if (details.length > 0) throw refused(details);
  return { method: method as 'apple_pay' | 'google_pay', token: token as string };
}

function checkCard(card: Record<string, unknown>, now: Date, problem: (field: string, issue: string) => void): CardDetails | null {
  const allowed = new Set(['number', 'expiry_month', 'expiry_year', 'cvc', 'holder_name']);
  for (const key of Object.keys(card)) if (!allowed.has(key)) problem(`card.${key}`, 'is not a known field');

  const digits = typeof card.number === 'string' ? card.number.replace(/[ -]/g, '') : '';
  if (typeof card.number !== 'string' || card.number.length === 0) problem('card.number', 'is required');
  else if (!/^\d{12,19}$/.test(digits)) problem('card.number', 'must be 12 to 19 digits');
  else if (!passesLuhn(digits)) problem('card.number', 'is not a valid card number (check digit)');

  const month = card.expiry_month;
  const year = card.expiry_year;
  const monthOk = Number.isInteger(month) && (month as number) >= 1 && (month as number) <= 12;
  const yearOk = Number.isInteger(year) && (year as number) >= 2000 && (year as number) <= 2199;
  if (!monthOk) problem('card.expiry_month', 'must be a whole number from 1 to 12');
  if (!yearOk) problem('card.expiry_year', 'must be a four-digit year such as 2030');
  if (monthOk && yearOk) {
    const thisYear = now.getUTCFullYear();
    const thisMonth = now.getUTCMonth() + 1;
    if ((year as number) < thisYear) problem('card.expiry_year', 'the card has expired');
    else if (year === thisYear && (month as number) < thisMonth) problem('card.expiry_month', 'the card has expired');
  }

  if (typeof card.cvc !== 'string' || !/^\d{3,4}$/.test(card.cvc)) problem('card.cvc', 'must be 3 or 4 digits');

  const holder = card.holder_name;
  if (holder !== undefined && (typeof holder !== 'string' || holder.length === 0 || holder.length > 100 || !PRINTABLE_TEXT.test(holder))) {
    problem('card.holder_name', 'must be 1 to 100 printable characters');
  }
  if (!monthOk || !yearOk || typeof card.cvc !== 'string') return null;
  return {
    number: digits,
    expiry_month: month as number,
    expiry_year: year as number,
    cvc: card.cvc,
    ...(typeof holder === 'string' ? { holder_name: holder } : {}),
  };
}

/** The Luhn (mod 10) check digit test every card number passes. */
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

/** The brand (from the number's issuer prefix) and last four digits: all the platform keeps of a card. */
export function describeCard(digits: string): CardSummary {
  return { brand: cardBrand(digits), last4: digits.slice(-4) };
}

function cardBrand(digits: string): CardBrand {
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

function refused(details: ErrorDetail[]): ApiError {
  const summary = details.map((detail) => `${detail.field} ${detail.issue}`).join('; ');
  return new ApiError('validation_error', summary, { details });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
