import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN_TOKEN, expectError, request, sessionBody, startTestServer, type PartnerCredentials, type TestServer } from './helpers/test-platform.ts';

/** Throttling of token guessing, and input checks on the paths that are not JSON bodies. */
describe('abuse guards', () => {
  let server: TestServer;
  let partner: PartnerCredentials;
  beforeAll(async () => {
    server = await startTestServer();
    partner = await server.createPartner();
  });
  afterAll(() => server.close());

  const closeCode = (query: string) =>
    new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws?${query}`, { headers: { authorization: `Bearer ${partner.client_token}` } });
      const timer = setTimeout(() => reject(new Error('no close within 5 s')), 5_000);
      socket.on('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });

  it('refuses repeated, over-long or unprintable WebSocket parameters with 4400', async () => {
    expect(await closeCode('tx_id=%00')).toBe(4400);
    expect(await closeCode(`tx_id=${'x'.repeat(129)}`)).toBe(4400);
    expect(await closeCode('tx_id=a&tx_id=b')).toBe(4400);
    expect(await closeCode('user_id=%0Aevil')).toBe(4400);
  });

  it('replay-failed refuses a body that is not {"partner_id"}', async () => {
    for (const body of [[], 'x', { partner_id: 5 }, { partner_id: 'a\u0000b' }, { other: 1 }]) {
      expectError(await request(`${server.url}/admin/webhooks/replay-failed`, { token: ADMIN_TOKEN, body }), 400, 'invalid_request', 'validation_error');
    }
    const ok = await request(`${server.url}/admin/webhooks/replay-failed`, { method: 'POST', token: ADMIN_TOKEN });
    expect(ok.body).toEqual({ replayed: 0 });
  });

  // Last: it leaves this address throttled.
  it('throttles an address after 30 unknown tokens a minute, without touching valid traffic before that', async () => {
    expect((await request(`${server.url}/widget/session`, { token: partner.client_token, body: sessionBody() })).status).toBe(200);
    for (let i = 0; i < 30; i++) {
      expectError(await request(`${server.url}/widget/transactions/x`, { token: `ct_guess_${i}` }), 401, 'unauthorised', 'invalid_token');
    }
    const throttled = expectError(await request(`${server.url}/widget/transactions/x`, { token: 'ct_guess_31' }), 429, 'rate_limited', 'rate_limit_exceeded');
    expect(throttled.message).toContain('failed authentications');
    const retryAfter = Number((await request(`${server.url}/widget/transactions/x`, { token: 'ct_guess_32' })).headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });
});
