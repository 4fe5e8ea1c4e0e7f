import { type Static, Type } from 'typebox';
import { ApiError, type ErrorDetail } from '../../lib/errors.ts';
import { PRINTABLE_TEXT, Text } from '../../lib/route-schemas.ts';
import { passesLuhn } from '../payments/payment-source.ts';
import type { PayoutCardDetails } from './payout-provider.ts';

/**
 * The card a sell pays out to, as the widget sends it, and its checks before anything reaches the
 * payout provider. Like a payment card it passes through to the adapter only (the platform keeps
 * the adapter's token, the brand and the last four digits), and no message built here repeats the
 * number. A payout needs no CVC, so none is asked for.
 */
export const PayoutCardSchema = Type.Object(
  {
    number: Type.String({ minLength: 1, maxLength: 32, description: 'Digits; spaces and dashes between them are ignored.' }),
    expiry_month: Type.Integer({ minimum: 1, maximum: 12 }),
    expiry_year: Type.Integer({ minimum: 2000, maximum: 2199, description: 'Four digits, e.g. 2030.' }),
    holder_name: Text(100),
  },
  { additionalProperties: false },
);

export type PayoutCardInput = Static<typeof PayoutCardSchema>;

/**
 * Checks a payout card field by field: 12–19 digits passing the Luhn check, not expired (judged
 * against `now`, valid to the end of its month, UTC), a printable holder name. Every problem at once
 * as 400 validation_error, one detail per field, never repeating the number.
 */
export function checkPayoutCard(input: PayoutCardInput, now: Date): PayoutCardDetails {
  const details: ErrorDetail[] = [];
  const problem = (field: string, issue: string) => details.push({ field, issue });
  const digits = input.number.replace(/[ -]/g, '');
  if (!/^\d{12,19}$/.test(digits)) problem('number', 'must be 12 to 19 digits');
  else if (!passesLuhn(digits)) problem('number', 'is not a valid card number (check digit)');
  const thisYear = now.getUTCFullYear();
  if (input.expiry_year < thisYear) problem('expiry_year', 'the card has expired');
  else if (input.expiry_year === thisYear && input.expiry_month < now.getUTCMonth() + 1) problem('expiry_month', 'the card has expired');
  if (input.holder_name.trim() === '' || !PRINTABLE_TEXT.test(input.holder_name))
    problem('holder_name', 'must be 1 to 100 printable characters');
  if (details.length > 0) {
    throw new ApiError('validation_error', details.map((detail) => `${detail.field} ${detail.issue}`).join('; '), { details });
  }
  return { number: digits, expiry_month: input.expiry_month, expiry_year: input.expiry_year, holder_name: input.holder_name };
}
