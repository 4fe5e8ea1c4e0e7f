import { describe, expect, it } from 'vitest';
import { runCommonRouteTests } from './helpers/run-common-route-tests.ts';
import { sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/** GET /widget/users/{partner_user_id}/kyc-status for a user the partner has sent. */

const USER = 'kyc-user@1';

describe('GET /widget/users/{id}/kyc-status after a session', () => {
  const server = useServerWithPartner();

  it('returns not_started KYC for a user who has a session', async () => {
    await server.createSession(sessionBody({ partner_user_id: USER }));
    const kyc = await server.getKycStatus(USER);
    expect(kyc.status).toBe(200);
    expect(kyc.body).toEqual({ partner_user_id: USER, status: 'not_started' });
  });

  // Another partner's token on this partner's user gets 404, exactly as an unknown user does.
  runCommonRouteTests(server, {
    name: 'GET /widget/users/{id}/kyc-status',
    method: 'GET',
    path: async (s) => {
      await s.newSession({ partner_user_id: USER });
      return `/widget/users/${encodeURIComponent(USER)}/kyc-status`;
    },
    anotherPartner: 'not_found',
  });
});
