import { describe, expect, it } from 'vitest';
import { runCommonRouteTests } from './helpers/run-common-route-tests.ts';
import { sessionBody, TEST_START } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/** GET /widget/transactions/{merchant_transaction_id} after a session: exactly the documented fields. */

const TRANSACTION_FIELDS = [
  'merchant_transaction_id',
  'partner_user_id',
  'type',
  'status',
  'currency',
  'network',
  'crypto_amount',
  'fiat_currency',
  'fiat_amount',
  'created_at',
  'updated_at',
].sort();

describe('GET /widget/transactions/{id} after a session', () => {
  const server = useServerWithPartner();

  it('returns exactly the documented fields of a pending buy', async () => {
    const created = await server.createSession(sessionBody({ partner_user_id: 'tx-user', fiat_currency: 'USD' }));
    const id = created.body.merchant_transaction_id;
    const read = await server.getTransaction(id);
    expect(read.status).toBe(200);
    expect(Object.keys(read.body).sort()).toEqual(TRANSACTION_FIELDS);
    expect(read.body).toEqual({
      merchant_transaction_id: id,
      partner_user_id: 'tx-user',
      type: 'buy',
      status: 'pending',
      currency: 'USDT',
      network: 'TRC20',
      crypto_amount: '',
      fiat_currency: 'USD',
      fiat_amount: '103.00',
      created_at: '2026-11-21T12:00:00.000Z',
      updated_at: '2026-11-21T12:00:00.000Z',
    });
    expect(read.body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
  });

  it('returns a pending sell the same way, with the time the session was created', async () => {
    server.clock.set(new Date('2026-11-21T13:30:15.250Z'));
    try {
      const created = await server.createSession(
        sessionBody({ partner_user_id: 'tx-user', type: 'sell', currency: 'BTC', network: 'BITCOIN', amount: '0.001' }),
      );
      expect(created.status).toBe(200);
      const read = await server.getTransaction(created.body.merchant_transaction_id);
      expect(read.body).toEqual({
        merchant_transaction_id: created.body.merchant_transaction_id,
        partner_user_id: 'tx-user',
        type: 'sell',
        status: 'pending',
        currency: 'BTC',
        network: 'BITCOIN',
        crypto_amount: '',
        fiat_currency: 'EUR',
        fiat_amount: '86.18',
        created_at: '2026-11-21T13:30:15.250Z',
        updated_at: '2026-11-21T13:30:15.250Z',
      });
    } finally {
      server.clock.set(TEST_START);
    }
  });

  runCommonRouteTests(server, {
    name: 'GET /widget/transactions/{id}',
    method: 'GET',
    path: async (s) => `/widget/transactions/${await s.newSession()}`,
    anotherPartner: 'not_found',
  });
});
