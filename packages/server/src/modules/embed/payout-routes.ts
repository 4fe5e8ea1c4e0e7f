import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../lib/errors.ts';
import { errorResponses } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { type PayoutCardInput, PayoutCardSchema, savePayoutCard } from '../settlement/off-ramp-service.ts';
import { loadEmbedState } from './embed-state-loader.ts';
import type { WidgetCredentialClaims } from './widget-credential.ts';

/**
 * The sell's payout step of the embed API: the card the fiat is paid out to. Like a payment card it
 * passes through to the payout adapter and is never stored or echoed (the platform keeps the
 * adapter's token, the brand and the last four digits). Only on a sell, only once verified.
 */
export function registerPayoutRoutes(app: FastifyInstance, platform: Platform): void {
  app.post<{ Body: PayoutCardInput }>(
    '/payout-card',
    {
      schema: {
        summary: 'Sell: the card to pay the fiat out to (number, expiry, holder); replaceable until the payout is sent',
        tags: ['embed'],
        security: [{ widgetCredential: [] }],
        body: PayoutCardSchema,
        response: { ...errorResponses(400, 401, 404, 409, 429, 502) },
      },
    },
    async (request) => {
      const claims = request.embed as WidgetCredentialClaims;
      // The payout comes after verification: an unverified user's card is not taken.
      const before = await loadEmbedState(platform, claims);
      if (before.transaction.type !== 'sell') throw new ApiError('not_a_sell', 'Only a sell pays out to a card; a buy is paid with one.');
      if (before.verification.required) {
        throw new ApiError('verification_required', `Verify the user's identity first (verification is ${before.verification.status}).`);
      }
      await savePayoutCard(platform, { partnerId: claims.pid, merchantTransactionId: claims.sub, card: request.body });
      return loadEmbedState(platform, claims);
    },
  );
}
