import { describe, expect, it } from 'vitest';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * A status change wakes this node's webhook worker only when it queued a webhook: a partner that
 * follows its transactions by polling or WebSocket, without an endpoint, costs the worker no claim.
 */
describe('waking the webhook worker', () => {
  const server = useServerWithPartner({ webhookReceiver: true, otherPartner: true, env: DELIVERY_ENV });

  it('is woken by a change whose partner has an endpoint, not by one whose partner has none', async () => {
    let notices = 0;
    const unsubscribe = server.platform.outboxNotifier.subscribe(() => notices++);
    try {
      const withoutEndpoint = await server.newSession({}, { token: server.otherPartner.client_token });
      expect((await server.sandboxMove(withoutEndpoint, 'processing')).status).toBe(200);
      expect(notices).toBe(0);

      const withEndpoint = await server.newSession();
      expect((await server.sandboxMove(withEndpoint, 'processing')).status).toBe(200);
      expect(notices).toBe(1);
      const queued = await server.platform.db
        .selectFrom('webhook_deliveries')
        .select('partner_id')
        .where('status', '=', 'pending')
        .execute();
      expect(queued.map((row) => row.partner_id)).toEqual([server.partner.partner_id]);
    } finally {
      unsubscribe();
    }
  });
});
