import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { ApiError } from '../../lib/errors.ts';
import { errorResponses, PRINTABLE, partnerSchema } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { getKycStatus } from './identity-store.ts';
import { KYC_STATUSES } from './kyc-status.ts';

const KycStatusBody = Type.Object({
  partner_user_id: Type.String(),
  status: Type.Enum(KYC_STATUSES),
  verified_at: Type.Optional(Type.String({ format: 'date-time' })),
});
type KycStatusView = Static<typeof KycStatusBody>;

export function registerKycRoutes(app: FastifyInstance, platform: Platform): void {
  app.get<{ Params: { partner_user_id: string } }>(
    '/widget/users/:partner_user_id/kyc-status',
    {
      schema: partnerSchema("Get a user's verification status", {
        params: Type.Object({ partner_user_id: Type.String({ minLength: 1, maxLength: 128, pattern: PRINTABLE }) }),
        response: { 200: KycStatusBody, ...errorResponses(401, 403, 404, 429, 502) },
      }),
    },
    async (request): Promise<KycStatusView> => {
      const partnerUserId = request.params.partner_user_id;
      const identity = await getKycStatus(platform.db, { partnerId: request.partner!.id, partnerUserId });
      if (!identity) throw new ApiError('not_found', 'No such user.');
      return {
        partner_user_id: partnerUserId,
        status: identity.status,
        ...(identity.status === 'verified' && identity.verified_at ? { verified_at: identity.verified_at.toISOString() } : {}),
      };
    },
  );
}
