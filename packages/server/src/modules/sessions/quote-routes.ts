import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { ASSETS, FIATS } from '../../lib/catalog.ts';
import { ApiError } from '../../lib/errors.ts';
import { formatAmount } from '../../lib/money.ts';
import { errorResponses, OptionalText, partnerSchema, Text } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { TRANSACTION_TYPES, type TransactionType } from '../transactions/transaction-status.ts';
import { priceAmount } from './price-amount.ts';
import type { CreateSessionBody } from './session-schemas.ts';
import { resolveSessionTerms } from './session-terms.ts';

const QuoteQuery = Type.Object(
  {
    currency: Text(16, { examples: ['USDT'] }),
    network: OptionalText(16, {
      examples: ['TRC20'],
      description: 'May be omitted when the partner has a default network for the currency.',
    }),
    fiat_currency: OptionalText(8, { examples: ['EUR'] }),
    type: Type.Optional(Type.Enum(TRANSACTION_TYPES)),
    amount: OptionalText(64, { description: 'Crypto amount (one of amount, crypto_amount, fiat_amount).', examples: ['100'] }),
    crypto_amount: OptionalText(64, { description: 'Older name for amount.' }),
    fiat_amount: OptionalText(64, { description: 'Fiat amount instead of a crypto amount.', examples: ['99.50'] }),
  },
  { additionalProperties: false },
);
type QuoteQuery = Static<typeof QuoteQuery>;

export const QuoteResponse = Type.Object({
  type: Type.Enum(TRANSACTION_TYPES),
  currency: Type.String(),
  network: Type.String(),
  fiat_currency: Type.String(),
  crypto_amount: Type.String({ description: 'What the user receives (buy) or sends (sell).' }),
  fiat_amount: Type.String({ description: 'What the user pays (buy, all fees included) or is paid (sell, after fees).' }),
  rate: Type.String({ description: 'Fiat per whole unit of crypto, before fees.' }),
  fees: Type.Object({
    partner_fee: Type.String({ description: 'The partner’s fee (percent and fixed), in fiat.' }),
    network_fee: Type.String({ description: 'The network fee a buy carries, in crypto ("0" for a sell).' }),
    network_fee_fiat: Type.String({ description: 'The same network fee, in fiat.' }),
  }),
  limits: Type.Object({ min: Type.String(), max: Type.String() }, { description: 'The partner’s limits for this fiat currency.' }),
  expires_at: Type.String({
    format: 'date-time',
    description: 'Until when these figures are expected to hold (QUOTE_TTL); a session locks its own quote when it is created.',
  }),
});
type QuoteResponse = Static<typeof QuoteResponse>;

/**
 * GET /widget/quote: what a session with the same fields would be priced at, with the fee breakdown
 * and the partner's limits. Ours: no peer contract to follow. It runs exactly the session's checks
 * and pricing (resolveSessionTerms, priceAmount), so the two always agree.
 */
export function registerQuoteRoutes(app: FastifyInstance, platform: Platform): void {
  app.get<{ Querystring: QuoteQuery }>(
    '/widget/quote',
    {
      schema: partnerSchema('Price an amount (ours)', {
        description: 'The amounts, fees and limits POST /widget/session would use for the same fields. Nothing is created or locked.',
        querystring: QuoteQuery,
        response: { 200: QuoteResponse, ...errorResponses(400, 401, 403, 429, 502) },
      }),
    },
    async (request): Promise<QuoteResponse> => {
      const partner = request.partner!;
      const terms = resolveSessionTerms(partner.config, request.query as CreateSessionBody & { type?: TransactionType });
      if (terms.given === null) {
        throw new ApiError('missing_param', 'amount (or fiat_amount) is required.', {
          details: [{ field: 'amount', issue: 'is required' }],
        });
      }
      const { currency, network } = terms.asset;
      const priced = await priceAmount(platform, {
        config: partner.config,
        type: terms.type,
        asset: currency,
        network,
        fiat: terms.fiat,
        given: terms.given,
      });
      const cryptoDecimals = ASSETS[currency].decimals;
      const fiatDecimals = FIATS[terms.fiat].decimals;
      const fiat = (minor: bigint) => formatAmount(minor, fiatDecimals, fiatDecimals);
      return {
        type: terms.type,
        currency,
        network,
        fiat_currency: terms.fiat,
        crypto_amount: formatAmount(priced.cryptoMinor, cryptoDecimals),
        fiat_amount: fiat(priced.fiatMinor),
        rate: priced.rate,
        fees: {
          partner_fee: fiat(priced.feeFiatMinor),
          network_fee: formatAmount(priced.networkFeeCryptoMinor, cryptoDecimals),
          network_fee_fiat: fiat(priced.networkFeeFiatMinor),
        },
        limits: priced.limits,
        expires_at: new Date(platform.clock.now().getTime() + platform.config.quoteTtlMs).toISOString(),
      };
    },
  );
}
