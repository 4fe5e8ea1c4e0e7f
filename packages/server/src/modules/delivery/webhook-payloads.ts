import { type Static, Type } from 'typebox';

/** The body of the signed test event an operator sends to check a partner's endpoint. */
export const WebhookTestEventSchema = Type.Object({
  event: Type.Literal('test'),
  test_id: Type.String({ format: 'uuid' }),
  message: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});
export type WebhookTestEvent = Static<typeof WebhookTestEventSchema>;
