import { describe, expect, it } from 'vitest';
import { runCommonRouteTests } from './helpers/run-common-route-tests.ts';
import { expectError, request, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * GET /widget/quote (ours): the amounts POST /widget/session would use for the same fields, with
 * the fee breakdown and the partner's limits. The sandbox partner: 1.5 % fee + 0.50 EUR fixed,
 * 1 USDT network fee on a buy, USDT at 0.92 EUR to buy and 0.91 to sell.
 */
describe('GET /widget/quote', () => {
  const server = useServerWithPartner({ otherPartner: true });
  const quote = (query: Record<string, string>) => server.request(`/widget/quote?${new URLSearchParams(query)}`);

  it('prices a buy by crypto amount with the fee breakdown, exactly as a session with the same fields', async () => {
    const quoted = await quote({ currency: 'USDT', network: 'TRC20', amount: '100' });
    expect(quoted.status).toBe(200);
    expect(quoted.body).toEqual({
      type: 'buy',
      currency: 'USDT',
      network: 'TRC20',
      fiat_currency: 'EUR',
      crypto_amount: '100',
      fiat_amount: '94.80',
      rate: expect.any(String),
      fees: { partner_fee: expect.any(String), network_fee: '1', network_fee_fiat: expect.any(String) },
      limits: { min: expect.any(String), max: expect.any(String) },
      expires_at: new Date(server.clock.now().getTime() + 2 * 60_000).toISOString(),
    });
    // The parts add up: the crypto's value at the rate, the network fee and the partner fee (each rounded up).
    const { rate, fees } = quoted.body;
    const cents = (text: string) => Math.round(Number(text) * 100);
    expect(cents(quoted.body.fiat_amount)).toBe(
      Math.ceil(100 * Number(rate) * 100 - 1e-9) + cents(fees.network_fee_fiat) + cents(fees.partner_fee),
    );
    const session = await server.createSession(sessionBody({ amount: '100' }));
    expect(session.body).toMatchObject({ amount: quoted.body.crypto_amount, fiat_amount: quoted.body.fiat_amount });
  });

  it.each([
    ['buy by fiat amount', { type: 'buy', fiat_amount: '100' }],
    ['sell by crypto amount', { type: 'sell', amount: '250.5' }],
    ['sell by fiat amount', { type: 'sell', fiat_amount: '100' }],
    ['buy of BTC in USD', { currency: 'BTC', network: 'BITCOIN', fiat_currency: 'USD', amount: '0.01' }],
  ])('agrees with POST /widget/session on a %s', async (_label, fields: Record<string, string>) => {
    const query = { currency: 'USDT', network: 'TRC20', ...fields };
    const quoted = await quote(query);
    expect(quoted.status, JSON.stringify(quoted.body)).toBe(200);
    const body = sessionBody({ ...query, amount: fields.amount });
    const session = await server.createSession(body);
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    expect({ crypto: quoted.body.crypto_amount, fiat: quoted.body.fiat_amount }).toEqual({
      crypto: session.body.amount,
      fiat: session.body.fiat_amount,
    });
    if (fields.type === 'sell') expect(quoted.body.fees.network_fee).toBe('0');
  });

  it('refuses what a session would refuse, with the same codes', async () => {
    expectError(await quote({ currency: 'USDT', network: 'TRC20' }), 400, 'invalid_request', 'missing_param');
    expectError(await quote({ currency: 'USDT', amount: '1', fiat_amount: '1' }), 400, 'invalid_request', 'validation_error');
    expectError(await quote({ currency: 'DOGE', amount: '1' }), 400, 'invalid_request', 'currency_not_allowed');
    expectError(await quote({ currency: 'USDT', amount: '1000000' }), 400, 'invalid_request', 'amount_out_of_range');
    expectError(await quote({ currency: 'USDT', amount: 'ten' }), 400, 'invalid_request', 'validation_error');
    expectError(await quote({ currency: 'USDT', amount: '1', extra: 'x' }), 400, 'invalid_request', 'validation_error');
    const repeated = await server.request('/widget/quote?currency=USDT&amount=1&amount=2');
    expectError(repeated, 400, 'invalid_request', 'validation_error');
  });

  it('is in the OpenAPI document', async () => {
    const document = await request(`${server.url}/openapi.json`);
    expect(document.body.paths['/widget/quote']?.get?.responses?.['200']).toBeDefined();
  });

  runCommonRouteTests(server, {
    name: 'GET /widget/quote',
    method: 'GET',
    path: '/widget/quote?currency=USDT&amount=100',
    anotherPartner: (result) => expect(result.status).toBe(200),
  });
});
