import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxPartnerInput } from '../src/modules/partners/sandbox-partner.ts';
import { type FakeKraken, startFakeKraken } from './fakes/fake-kraken.ts';
import { childDatabase, type ProofChild, startProofServe } from './helpers/proof-child.ts';
import { ADMIN_TOKEN, expectError, request, sessionBody } from './helpers/test-platform.ts';

/**
 * `proof serve` in production mode, as an operator starts it with the documented settings only:
 * NODE_ENV=production, DATABASE_URL, ADMIN_TOKEN, SIGNING_SECRET, ENCRYPTION_KEY and live rates
 * (RATE_PROVIDER=kraken, KRAKEN_API_URL pointing at a local fake of Kraken). Production needs
 * PostgreSQL, so this runs only in the PostgreSQL project (TEST_DATABASE_URL set).
 */
describe.skipIf(process.env.PROOF_TEST_DB !== 'postgres')('proof serve in production mode', () => {
  let fake: FakeKraken;
  let database: Awaited<ReturnType<typeof childDatabase>>;
  let server: ProofChild;

  beforeAll(async () => {
    fake = await startFakeKraken();
    database = await childDatabase();
    server = await startProofServe({
      ...database.env,
      NODE_ENV: 'production',
      RATE_PROVIDER: 'kraken',
      KRAKEN_API_URL: fake.url,
      // Buys need a chain to deliver on: Ethereum through a node (none answers here; creating a
      // session does not reach it), with a hot wallet key of this run's own.
      EVM_RPC_URL_ERC20: 'http://127.0.0.1:9/',
      EVM_TOKEN_USDT_ERC20: '0xdAC17F958D2ee523a2206206994597C13D831ec7',
      HOT_WALLET_PRIVATE_KEY: `0x${randomBytes(32).toString('hex')}`,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    await fake?.close();
  });

  it('starts and is ready', async () => {
    const ready = await request(`${server.url}/readyz`);
    expect(ready.status, server.output()).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
    expect(server.output()).not.toContain('Sandbox partner');
  });

  it('refuses the sandbox operator calls', async () => {
    const moved = await request(`${server.url}/admin/sandbox/clock`, { token: ADMIN_TOKEN, body: { advance_seconds: 60 } });
    expect(moved.status).toBe(404);
  });

  it('creates a session for a partner made through the admin API, priced from Kraken’s ask', async () => {
    const created = await request(`${server.url}/admin/partners`, {
      token: ADMIN_TOKEN,
      body: sandboxPartnerInput('https://app.partner.example'),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const session = await request(`${server.url}/widget/session`, {
      token: created.body.client_token,
      body: sessionBody({ amount: '100', network: 'ERC20' }),
    });
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    // 100 USDT at the fake's ask 0.9215 EUR: 92.15 + network fee 3 USDT = 2.77 + 1.5 % 1.39 + 0.50 = 96.81 EUR.
    expect(session.body).toMatchObject({ currency: 'USDT', network: 'ERC20', amount: '100', fiat_currency: 'EUR', fiat_amount: '96.81' });
    // TRON has no chain adapter in production (only the sandbox chain serves it): buys there are refused.
    expectError(
      await request(`${server.url}/widget/session`, { token: created.body.client_token, body: sessionBody({ amount: '100' }) }),
      502,
      'upstream_error',
      'provider_error',
    );
    expect(fake.requests).toContain('USDTEUR');
    // No deposit address provider is configured in production by default: sell is refused, clearly.
    const sell = await request(`${server.url}/widget/session`, { token: created.body.client_token, body: sessionBody({ type: 'sell' }) });
    expectError(sell, 502, 'upstream_error', 'provider_error');
  });
});
