import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, sessionBody, startTestServer, type PartnerCredentials, type TestServer } from './helpers/test-platform.ts';

describe('quickstart', () => {
  let server: TestServer;
  let partner: PartnerCredentials;
  beforeAll(async () => {
    server = await startTestServer();
    partner = await server.createPartner();
  });
  afterAll(() => server.close());

  it('creates a session and reads the transaction back as pending', async () => {
    const session = await request(`${server.url}/widget/session`, { token: partner.client_token, body: sessionBody() });
    expect(session.status).toBe(200);
    expect(session.body.amount).toBe('100');
    expect(session.body.fiat_amount).toBe('94.80');
    const read = await request(`${server.url}/widget/transactions/${session.body.merchant_transaction_id}`, { token: partner.client_token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ status: 'pending', crypto_amount: '', fiat_amount: '94.80', partner_user_id: 'user-1' });
  });
});
