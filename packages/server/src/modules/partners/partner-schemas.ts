import { type Static, Type } from 'typebox';

/**
 * What an operator gives to create or update a partner: the admin API's body, and what the CLI builds
 * from its flags. Loose on purpose (strings, not enums): normalizePartnerInput checks every value and
 * names the field it refuses, for both.
 */
const Strings = Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 200 });
export const PartnerInputSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    contact_email: Type.Optional(Type.String({ maxLength: 254 })),
    origins: Type.Optional(Strings),
    ip_allowlist: Type.Optional(Strings),
    partner_type: Type.Optional(Type.String({ maxLength: 50 })),
    assets: Type.Optional(
      Type.Array(
        Type.Object(
          {
            currency: Type.String({ maxLength: 16 }),
            network: Type.String({ maxLength: 16 }),
            address: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])),
            is_default: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
    fiat_currencies: Type.Optional(Strings),
    default_fiat: Type.Optional(Type.String({ maxLength: 8 })),
    sell: Type.Optional(Type.Boolean()),
    sell_fiat_currencies: Type.Optional(Strings),
    widget: Type.Optional(
      Type.Object(
        {
          type: Type.Optional(Type.String({ maxLength: 8 })),
          lang: Type.Optional(Type.String({ maxLength: 8 })),
          theme: Type.Optional(Type.String({ maxLength: 8 })),
          redirect_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    ),
    fees: Type.Optional(
      Type.Object(
        {
          percent: Type.Optional(Type.String({ maxLength: 16 })),
          fixed: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 32 }))),
        },
        { additionalProperties: false },
      ),
    ),
    limits: Type.Optional(
      Type.Record(Type.String(), Type.Object({ min: Type.String({ maxLength: 32 }), max: Type.String({ maxLength: 32 }) })),
    ),
    webhook_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
    allow_partner_address: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PartnerInput = Static<typeof PartnerInputSchema>;
