import { type Static, Type } from 'typebox';
import { OptionalAmount, OptionalText, Text } from '../../lib/route-schemas.ts';
import { TRANSACTION_TYPES, type TransactionType } from '../transactions/transaction-status.ts';

/** POST /widget/session: the request (older field names accepted) and the response, exactly as served. */
export const SessionRequestSchema = Type.Object(
  {
    partner_user_id: Text(128, { description: "The partner's stable id of the end user." }),
    user_email: Type.String({ format: 'email', maxLength: 254 }),
    currency: Text(16, { examples: ['USDT'] }),
    network: OptionalText(16, {
      examples: ['TRC20'],
      description: 'May be omitted when the partner has a default network for the currency.',
    }),
    amount: OptionalAmount('Crypto amount.'),
    crypto_amount: OptionalAmount('Older name for amount.'),
    fiat_amount: OptionalAmount('Fiat amount instead of a crypto amount.'),
    fiat_currency: OptionalText(8, { examples: ['EUR'] }),
    type: Type.Optional(Type.Unsafe<TransactionType | null>({ enum: [...TRANSACTION_TYPES, null] })),
    redirect_url: OptionalText(2048, { format: 'uri' }),
    client_ip: OptionalText(64, { description: "The end user's IP as the partner backend saw it; bound into the signature." }),
    address: OptionalText(128, {
      description: 'Destination wallet of a buy, only from partners allowed to supply addresses; refused (400) from any other.',
    }),
    merchant_transaction_id: OptionalText(100, {
      pattern: '^[A-Za-z0-9._:-]+$',
      description: 'Partner-chosen id, unique per partner; a repeat returns the same session.',
    }),
  },
  { additionalProperties: false },
);

export type CreateSessionBody = Static<typeof SessionRequestSchema>;

export const SessionResponseSchema = Type.Object({
  merchant_transaction_id: Type.String(),
  widget_id: Type.String(),
  address: Type.String(),
  signature: Type.String({ pattern: '^v2:[0-9a-f]{128}$' }),
  init_token: Type.String(),
  init_token_type: Type.Union([Type.Literal('sdk_partner_authorization'), Type.Literal('sdk_customer_token')]),
  currency: Type.String(),
  currencies: Type.Array(Type.String()),
  fix_currency: Type.Boolean(),
  network: Type.String(),
  networks: Type.Array(Type.String()),
  fix_network: Type.Array(Type.String()),
  amount: Type.String(),
  fix_amount: Type.Boolean(),
  fiat_currency: Type.String(),
  fiat_currencies: Type.Array(Type.String()),
  fix_fiat_currency: Type.Boolean(),
  fiat_amount: Type.String(),
  fix_fiat_amount: Type.Boolean(),
  type: Type.Enum(TRANSACTION_TYPES),
  lang: Type.String(),
  theme: Type.String(),
  redirect_url: Type.Union([Type.String(), Type.Null()]),
  widget_url: Type.String(),
});
export type SessionResponse = Static<typeof SessionResponseSchema>;
