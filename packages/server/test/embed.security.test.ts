import { describe, expect, it } from 'vitest';
import { EMBED_ENV, openBody, openWidget } from './helpers/embed-kit.ts';
import { expectError, request, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Who may act through the embed API: only the holder of a widget credential, exchanged once for a
 * genuine, unexpired, untampered session; never a client token; only from the platform's own origin.
 */
describe('opening a session', () => {
  const server = useServerWithPartner({ env: EMBED_ENV });
  const open = (body: unknown) => request(`${server.url}/embed/v1/sessions/open`, { body });
  const newSession = async (overrides: Record<string, unknown> = {}) => (await server.createSession(sessionBody(overrides))).body;

  it('exchanges the init_token once: a second exchange answers 409 session_already_used', async () => {
    const session = await newSession();
    const first = await open(openBody(session));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      credential: expect.any(String),
      credential_expires_at: expect.any(String),
      state: { next_step: 'verification' },
    });
    expectError(await open(openBody(session)), 409, 'conflict', 'session_already_used');
  });

  it('lets the browser that opened it open it again (a reload), by the partitioned cookie it was given; nobody else', async () => {
    const session = await newSession();
    const first = await open(openBody(session));
    const setCookie = first.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      /^proof_widget_[0-9a-f-]{36}=[^;]+; Path=\/embed\/v1\/sessions\/open; Max-Age=\d+; HttpOnly; Secure; SameSite=None; Partitioned$/,
    );
    const cookie = setCookie.split(';')[0]!;
    expect(cookie.split('=')[1]).toBe(first.body.credential);

    const reload = await request(`${server.url}/embed/v1/sessions/open`, { body: openBody(session), headers: { cookie } });
    expect(reload.status, JSON.stringify(reload.body)).toBe(200);
    expect(reload.body).toMatchObject({ credential: first.body.credential, credential_expires_at: first.body.credential_expires_at });
    expect(reload.body.state.transaction.merchant_transaction_id).toBe(session.merchant_transaction_id);

    // Another session's cookie, or a forged one, proves nothing.
    const other = await newSession();
    const otherCookie = (await open(openBody(other))).headers.get('set-cookie')!.split(';')[0]!;
    const renamed = `${cookie.split('=')[0]}=${otherCookie.split('=')[1]}`;
    for (const wrong of [otherCookie, renamed, `${cookie}x`]) {
      const refused = await request(`${server.url}/embed/v1/sessions/open`, { body: openBody(session), headers: { cookie: wrong } });
      expectError(refused, 409, 'conflict', 'session_already_used');
    }
    // Once the init_token has expired, a reload is refused too: the partner creates a new session.
    server.clock.advance(61 * 60_000);
    expectError(
      await request(`${server.url}/embed/v1/sessions/open`, { body: openBody(session), headers: { cookie } }),
      409,
      'conflict',
      'session_already_used',
    );
  });

  it.each([
    ['amount', { amount: '1000' }],
    ['address', { address: 'TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy' }],
    ['currency', { currency: 'USDC' }],
    ['type', { type: 'sell' }],
    ['signature', { signature: `v2:${'0'.repeat(128)}` }],
  ])('refuses a tampered %s, naming it (400 invalid_signature)', async (field, change) => {
    const session = await newSession();
    const body = expectError(await open(openBody(session, change)), 400, 'invalid_request', 'invalid_signature');
    expect(body.details).toEqual([{ field, issue: 'does not match the session' }]);
    // Refused before anything was recorded: the genuine parameters still open it.
    expect((await open(openBody(session))).status).toBe(200);
  });

  it('refuses another widget id, an init_token that is not ours, and an expired one', async () => {
    const session = await newSession();
    const wrongWidget = expectError(
      await open(openBody(session, { widget_id: 'wgt_someoneelse' })),
      400,
      'invalid_request',
      'invalid_signature',
    );
    expect(wrongWidget.details).toEqual([{ field: 'widget_id', issue: 'is not the widget this session was created for' }]);
    const forged = `${session.init_token.slice(0, -4)}AAAA`;
    expectError(await open(openBody(session, { init_token: forged })), 401, 'unauthorised', 'invalid_token');
    server.clock.advance(61 * 60_000);
    expectError(await open(openBody(session)), 409, 'conflict', 'session_already_used');
  });

  it('refuses a session whose transaction is already final', async () => {
    const session = await newSession();
    expect((await server.sandboxMove(session.merchant_transaction_id, 'cancelled')).status).toBe(200);
    expectError(await open(openBody(session)), 409, 'conflict', 'session_already_used');
  });
});

describe('the widget credential', () => {
  const server = useServerWithPartner({ env: EMBED_ENV });

  it('is the only way in: no token, a client token or a forged credential are refused', async () => {
    const state = (token?: string) => request(`${server.url}/embed/v1/session`, token ? { token } : {});
    expectError(await state(), 401, 'unauthorised', 'missing_token');
    const clientToken = expectError(await state(server.partner.client_token), 401, 'unauthorised', 'invalid_token');
    expect(clientToken.message).toContain('never takes a client token');
    expectError(await state('eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl'), 401, 'unauthorised', 'invalid_token');
    // An init_token is not a credential either.
    const session = (await server.createSession(sessionBody())).body;
    expectError(await state(session.init_token), 401, 'unauthorised', 'invalid_token');
  });

  it('acts on its own transaction only, and expires after WIDGET_CREDENTIAL_TTL', async () => {
    const session = (await server.createSession(sessionBody())).body;
    const widget = await openWidget(server, session);
    const read = await widget.call('/session');
    expect(read.body.transaction.merchant_transaction_id).toBe(session.merchant_transaction_id);
    server.clock.advance(60 * 60_000 + 1_000);
    expectError(await widget.call('/session'), 401, 'unauthorised', 'invalid_token');
  });

  it('answers CORS for the platform’s own origin only (the iframe’s), not a partner’s', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/embed/v1/session`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
    const own = await preflight(new URL(server.url).origin);
    expect(own.headers.get('access-control-allow-origin')).toBe(new URL(server.url).origin);
    const partner = await preflight('http://localhost:8080');
    expect(partner.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('every embed route is in the OpenAPI document', async () => {
    const paths = Object.keys((await request(`${server.url}/openapi.json`)).body.paths).filter((path) => path.startsWith('/embed/'));
    expect(paths.sort()).toEqual([
      '/embed/v1/kyc/documents/{side}',
      '/embed/v1/kyc/submit',
      '/embed/v1/payments',
      '/embed/v1/payments/{attempt_id}/challenge',
      '/embed/v1/payout-card',
      '/embed/v1/session',
      '/embed/v1/session/cancel',
      '/embed/v1/session/events',
      '/embed/v1/session/quote',
      '/embed/v1/sessions/open',
    ]);
  });
});

describe('the embed API rate limit', () => {
  const server = useServerWithPartner({ env: { ...EMBED_ENV, EMBED_RATE_LIMIT_PER_MINUTE: '3' } });

  it('limits each credential per minute (429 rate_limit_exceeded with Retry-After)', async () => {
    const widget = await openWidget(server, (await server.createSession(sessionBody())).body);
    for (let i = 0; i < 3; i++) expect((await widget.call('/session')).status).toBe(200);
    const limited = await widget.call('/session');
    expectError(limited, 429, 'rate_limited', 'rate_limit_exceeded');
    expect(limited.headers.get('retry-after')).not.toBeNull();
    // Another transaction's credential has its own allowance.
    const other = await openWidget(server, (await server.createSession(sessionBody())).body);
    expect((await other.call('/session')).status).toBe(200);
  });
});
