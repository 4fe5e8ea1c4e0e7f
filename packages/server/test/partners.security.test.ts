import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect } from './helpers/delivery-kit.ts';
import { ADMIN_TOKEN, expectError, type HttpResult, type PartnerCredentials, request, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Tenant isolation, Origin/CORS rules, token lifecycle, the admin API's guard, secrets at rest, and
 * the throttle on guessing tokens. What every partner route must refuse is the common route suite
 * (helpers/run-common-route-tests.ts), which each route's own test file runs.
 */

const SANDBOX_ORIGIN = 'http://localhost:8080';
const HOUR_MS = 3600_000;

describe('partner security', () => {
  const server = useServerWithPartner();

  const createSession = (token: string, body: Record<string, unknown> = sessionBody(), headers: Record<string, string> = {}) =>
    server.createSession(body, { token, headers });
  const readTransaction = (token: string, id: string) => server.getTransaction(id, { token });
  const readKyc = (token: string, userId: string) => server.getKycStatus(userId, { token });
  /** Calls the admin API with ADMIN_TOKEN, another token, or (null) none. */
  const admin = (method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN) =>
    request(`${server.url}/admin${path}`, { method, body, ...(token === null ? {} : { token }) });
  const preflight = (origin: string) =>
    request(`${server.url}/widget/session`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  async function expectTokenWorks(token: string) {
    const result = await createSession(token);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    return result;
  }
  async function expectTokenRefused(token: string) {
    expectError(await createSession(token), 401, 'unauthorised', 'invalid_token');
    expectError(await readTransaction(token, 'anything'), 401, 'unauthorised', 'invalid_token');
  }
  function expectNoCors(result: HttpResult) {
    const corsHeaders = [...result.headers.keys()].filter((name) => name.startsWith('access-control-allow'));
    expect(corsHeaders).toEqual([]);
  }

  describe('tenant isolation', () => {
    let partnerA: PartnerCredentials;
    let partnerB: PartnerCredentials;
    beforeAll(async () => {
      partnerA = await server.createPartner({ name: 'Partner A', origins: ['https://a.example'] });
      partnerB = await server.createPartner({ name: 'Partner B', origins: ['https://b.example'] });
    });

    it("answers another partner's transaction exactly like an unknown one: 404, never 403", async () => {
      const created = await expectTokenWorks(partnerA.client_token);
      const id = created.body.merchant_transaction_id;
      expect((await readTransaction(partnerA.client_token, id)).body).toMatchObject({
        merchant_transaction_id: id,
        partner_user_id: 'user-1',
        status: 'pending',
      });
      const foreign = expectError(await readTransaction(partnerB.client_token, id), 404, 'not_found', 'not_found');
      const unknown = expectError(await readTransaction(partnerB.client_token, `${id.slice(0, -1)}0`), 404, 'not_found', 'not_found');
      expect(foreign.message).toBe(unknown.message);
      expect(Object.keys(foreign).sort()).toEqual(Object.keys(unknown).sort());
    });

    it("does not reveal another partner's user through kyc-status", async () => {
      await expectTokenWorks(partnerA.client_token);
      expect((await readKyc(partnerA.client_token, 'user-1')).body).toEqual({ partner_user_id: 'user-1', status: 'not_started' });
      expectError(await readKyc(partnerB.client_token, 'user-1'), 404, 'not_found', 'not_found');
    });

    it('lets both partners use the same merchant_transaction_id independently', async () => {
      const a = await createSession(
        partnerA.client_token,
        sessionBody({ merchant_transaction_id: 'order-shared-1', amount: '100', partner_user_id: 'alice' }),
      );
      const b = await createSession(
        partnerB.client_token,
        sessionBody({ merchant_transaction_id: 'order-shared-1', amount: '50', partner_user_id: 'bob' }),
      );
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(b.headers.get('idempotent-replayed')).toBeNull();
      expect(a.body.widget_id).toBe(partnerA.widget_id);
      expect(b.body.widget_id).toBe(partnerB.widget_id);
      expect((await readTransaction(partnerA.client_token, 'order-shared-1')).body).toMatchObject({
        partner_user_id: 'alice',
        fiat_amount: a.body.fiat_amount,
      });
      expect((await readTransaction(partnerB.client_token, 'order-shared-1')).body).toMatchObject({
        partner_user_id: 'bob',
        fiat_amount: b.body.fiat_amount,
      });
      expect(a.body.fiat_amount).not.toBe(b.body.fiat_amount);
    });

    it('keeps Idempotency-Keys per partner: the same key never replays or blocks another partner', async () => {
      const headers = { 'idempotency-key': 'shared-key-1' };
      const a = await createSession(partnerA.client_token, sessionBody({ amount: '100' }), headers);
      const b = await createSession(partnerB.client_token, sessionBody({ amount: '60' }), headers);
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(b.headers.get('idempotent-replayed')).toBeNull();
      expect(b.body.merchant_transaction_id).not.toBe(a.body.merchant_transaction_id);
      expect(b.body.amount).toBe('60');
    });

    it("refuses a partner's token from another partner's registered origin", async () => {
      expect((await createSession(partnerA.client_token, sessionBody(), { origin: 'https://a.example' })).status).toBe(200);
      expectError(
        await createSession(partnerA.client_token, sessionBody(), { origin: 'https://b.example' }),
        403,
        'forbidden',
        'forbidden_origin',
      );
    });
  });

  describe('Origin rules', () => {
    let partner: PartnerCredentials;
    beforeAll(async () => {
      partner = await server.createPartner();
    });

    it('issues sdk_partner_authorization to a server call without Origin', async () => {
      expect((await createSession(partner.client_token)).body.init_token_type).toBe('sdk_partner_authorization');
    });

    it.each([SANDBOX_ORIGIN, 'HTTP://LOCALHOST:8080', 'http://LocalHost:8080', 'http://127.0.0.1:8080'])(
      'issues sdk_customer_token to a call from the registered origin %s (host compared case-insensitively)',
      async (origin) => {
        const result = await createSession(partner.client_token, sessionBody(), { origin });
        expect(result.status).toBe(200);
        expect(result.body.init_token_type).toBe('sdk_customer_token');
      },
    );

    it('treats an explicit default port as the same origin', async () => {
      const secure = await server.createPartner({ origins: ['https://shop.example'] });
      expect((await createSession(secure.client_token, sessionBody(), { origin: 'https://shop.example:443' })).body.init_token_type).toBe(
        'sdk_customer_token',
      );
      expectError(
        await createSession(secure.client_token, sessionBody(), { origin: 'https://shop.example:8443' }),
        403,
        'forbidden',
        'forbidden_origin',
      );
      expectError(
        await createSession(secure.client_token, sessionBody(), { origin: 'http://shop.example' }),
        403,
        'forbidden',
        'forbidden_origin',
      );
    });
  });

  describe('CORS', () => {
    beforeAll(async () => {
      await server.createPartner();
    });

    it('answers a preflight from a registered origin, echoing it', async () => {
      const result = await preflight(SANDBOX_ORIGIN);
      expect(result.status).toBe(204);
      expect(result.headers.get('access-control-allow-origin')).toBe(SANDBOX_ORIGIN);
      expect(result.headers.get('access-control-allow-methods')).toBe('GET, POST');
      expect(result.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Idempotency-Key');
    });

    it('gives a preflight from an unregistered origin no CORS headers', async () => {
      for (const origin of ['https://evil.example', 'null', 'http://localhost:8081']) {
        const result = await preflight(origin);
        expect(result.status).not.toBe(204);
        expectNoCors(result);
      }
    });

    it('marks the real response for a registered origin and exposes X-Request-Id', async () => {
      const partner = await server.createPartner();
      const result = await createSession(partner.client_token, sessionBody(), { origin: SANDBOX_ORIGIN });
      expect(result.headers.get('access-control-allow-origin')).toBe(SANDBOX_ORIGIN);
      expect(result.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    });
  });

  describe('token rotation', () => {
    const rotate = (partnerId: string, body: Record<string, unknown>) => admin('POST', `/partners/${partnerId}/rotate-token`, body);
    const tokenPrefixes = async (partnerId: string) =>
      ((await admin('GET', `/partners/${partnerId}`)).body.tokens as Array<{ prefix: string; expires_at: string | null }>)
        .map((token) => [token.prefix, token.expires_at])
        .sort((x, y) => (x[1] === null ? -1 : y[1] === null ? 1 : 0));

    it('keeps the old token for the grace period, then refuses it while the new one works', async () => {
      const partner = await server.createPartner();
      const oldToken = partner.client_token;
      await expectTokenWorks(oldToken); // now in this node's token cache
      const graceEnd = new Date(server.clock.now().getTime() + HOUR_MS).toISOString();

      const rotated = await rotate(partner.partner_id, { grace_seconds: 3600 });
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({ partner_id: partner.partner_id, previous_tokens_expire_at: graceEnd });
      const newToken: string = rotated.body.client_token;
      expect(newToken).toMatch(/^ct_[0-9A-Za-z]{32}$/);
      expect(newToken).not.toBe(oldToken);
      expect(await tokenPrefixes(partner.partner_id)).toEqual([
        [newToken.slice(0, 10), null],
        [oldToken.slice(0, 10), graceEnd],
      ]);

      await expectTokenWorks(oldToken);
      await expectTokenWorks(newToken);
      server.clock.advance(HOUR_MS - 1);
      await expectTokenWorks(oldToken);
      server.clock.advance(2); // 3600_000 + 1 after the rotation
      await expectTokenRefused(oldToken);
      await expectTokenWorks(newToken);
      expect(await tokenPrefixes(partner.partner_id)).toEqual([[newToken.slice(0, 10), null]]);
    });

    it('rotates without a body, using the default grace period of 24 h', async () => {
      const partner = await server.createPartner();
      const rotated = await request(`${server.url}/admin/partners/${partner.partner_id}/rotate-token`, {
        method: 'POST',
        token: ADMIN_TOKEN,
      });
      expect(rotated.status).toBe(200);
      expect(rotated.body.previous_tokens_expire_at).toBe(new Date(server.clock.now().getTime() + 24 * HOUR_MS).toISOString());
      const refused = await rotate(partner.partner_id, { grace_seconds: -5 });
      expect(expectError(refused, 400, 'invalid_request', 'validation_error').details).toEqual([
        { field: 'grace_seconds', issue: 'must be a whole number of seconds from 0 to 7776000 (90 days)' },
      ]);
    });

    it('revokes the old token at once with a grace of zero, even though this node had it cached', async () => {
      const partner = await server.createPartner();
      await expectTokenWorks(partner.client_token);
      const rotated = await rotate(partner.partner_id, { grace_seconds: 0 });
      expect(rotated.body.previous_tokens_expire_at).toBe(server.clock.now().toISOString());
      await expectTokenRefused(partner.client_token);
      await expectTokenWorks(rotated.body.client_token);
    });

    it('uses the default grace of 24 h when none is given, and a second rotation never extends a grace', async () => {
      const partner = await server.createPartner();
      const first = await rotate(partner.partner_id, {});
      expect(first.body.previous_tokens_expire_at).toBe(new Date(server.clock.now().getTime() + 24 * HOUR_MS).toISOString());
      const second = await rotate(partner.partner_id, { grace_seconds: 48 * 3600 });
      expect(second.status).toBe(200);
      server.clock.advance(24 * HOUR_MS + 1);
      await expectTokenRefused(partner.client_token);
      await expectTokenWorks(first.body.client_token);
      await expectTokenWorks(second.body.client_token);
    });

    it('refuses a bad grace and an unknown partner', async () => {
      const partner = await server.createPartner();
      expectError(await rotate(partner.partner_id, { grace_seconds: -1 }), 400, 'invalid_request', 'validation_error');
      expectError(await rotate(partner.partner_id, { grace_seconds: '3600' }), 400, 'invalid_request', 'validation_error');
      expectError(await rotate('ptr_doesnotexist', { grace_seconds: 0 }), 404, 'not_found', 'not_found');
      await expectTokenWorks(partner.client_token);
    });
  });

  describe('disabled partner', () => {
    it('refuses its token and its origin while disabled; enabling restores both', async () => {
      const partner = await server.createPartner({ origins: ['https://disabled.example'] });
      await expectTokenWorks(partner.client_token); // cached on this node
      expect((await preflight('https://disabled.example')).headers.get('access-control-allow-origin')).toBe('https://disabled.example');

      const disabled = await admin('POST', `/partners/${partner.partner_id}/disable`, {});
      expect(disabled.body.status).toBe('disabled');
      await expectTokenRefused(partner.client_token);
      expectNoCors(await preflight('https://disabled.example'));

      const enabled = await admin('POST', `/partners/${partner.partner_id}/enable`, {});
      expect(enabled.body.status).toBe('active');
      await expectTokenWorks(partner.client_token);
      expect((await preflight('https://disabled.example')).headers.get('access-control-allow-origin')).toBe('https://disabled.example');
    });
  });

  describe('admin API authentication', () => {
    it.each([
      ['GET', '/partners'],
      ['GET', '/partners/ptr_any'],
      ['POST', '/partners/ptr_any/rotate-token'],
      ['POST', '/partners/ptr_any/disable'],
    ])('guards %s %s', async (method, path) => {
      const body = method === 'POST' ? {} : undefined;
      expectError(await admin(method, path, body, null), 401, 'unauthorised', 'missing_token');
      expectError(await admin(method, path, body, 'adm_wrong_0123456789abcdefghijklmnop'), 401, 'unauthorised', 'invalid_token');
      expectError(await admin(method, path, body, `${ADMIN_TOKEN}x`), 401, 'unauthorised', 'invalid_token');
    });

    it('answers a non-Bearer scheme with invalid_token, as the partner API does', async () => {
      const basic = `Basic ${Buffer.from('admin:secret').toString('base64')}`;
      expectError(
        await request(`${server.url}/admin/partners`, { headers: { authorization: basic } }),
        401,
        'unauthorised',
        'invalid_token',
      );
    });

    it("does not accept a partner's client_token as the admin token", async () => {
      const partner = await server.createPartner();
      expectError(
        await admin('GET', `/partners/${partner.partner_id}`, undefined, partner.client_token),
        401,
        'unauthorised',
        'invalid_token',
      );
      expectError(
        await admin('POST', `/partners/${partner.partner_id}/rotate-token`, { grace_seconds: 0 }, partner.client_token),
        401,
        'unauthorised',
        'invalid_token',
      );
      await expectTokenWorks(partner.client_token);
    });
  });

  describe('repeated Authorization headers', () => {
    // Node keeps the first Authorization header and drops the others; a proxy in front may read
    // another one, so the two would act on different credentials.
    const twice = (first: string, second: string) => [
      ['authorization', `Bearer ${first}`],
      ['authorization', `Bearer ${second}`],
    ];
    const expectRepeatRefused = (result: HttpResult) =>
      expect(expectError(result, 400, 'invalid_request', 'validation_error').details).toEqual([
        { field: 'Authorization', issue: 'is sent more than once' },
      ]);

    it('refuses them on the partner API, whichever comes first and even when both are the same token', async () => {
      const valid = server.partner.client_token;
      const body = JSON.stringify(sessionBody());
      for (const [first, second] of [
        [valid, 'ct_unknown'],
        ['ct_unknown', valid],
        [valid, valid],
      ] as const) {
        expectRepeatRefused(await rawRequest(`${server.url}/widget/session`, 'POST', twice(first, second), body));
        expectRepeatRefused(await rawRequest(`${server.url}/widget/transactions/x`, 'GET', twice(first, second)));
      }
      expect((await rawRequest(`${server.url}/widget/session`, 'POST', [['authorization', `Bearer ${valid}`]], body)).status).toBe(200);
    });

    it('refuses them on the admin API', async () => {
      expectRepeatRefused(await rawRequest(`${server.url}/admin/partners`, 'GET', twice(ADMIN_TOKEN, 'adm_other')));
      expectRepeatRefused(await rawRequest(`${server.url}/admin/partners`, 'GET', twice('adm_other', ADMIN_TOKEN)));
      expect((await rawRequest(`${server.url}/admin/partners`, 'GET', [['authorization', `Bearer ${ADMIN_TOKEN}`]])).status).toBe(200);
    });

    it('refuses them on a WebSocket upgrade', async () => {
      const id = await server.newSession();
      const valid = `Bearer ${server.partner.client_token}`;
      // The ws client sends an array value as repeated header lines.
      const headers = { authorization: [valid, 'Bearer ct_unknown'] } as unknown as Record<string, string>;
      const client = connect(server, { tx_id: id }, undefined, { headers });
      const answer = await new Promise<HttpResult | 'upgraded'>((resolve) => {
        client.socket.on('open', () => resolve('upgraded'));
        client.socket.on('unexpected-response', (_request, response) => resolve(readAnswer(response)));
      });
      client.socket.terminate();
      expect(answer).not.toBe('upgraded');
      expectRepeatRefused(answer as HttpResult);
    });
  });

  describe('secrets at rest', () => {
    const email = 'Private.Person+secret@example.org';
    let partner: PartnerCredentials;
    let rotatedToken: string;
    beforeAll(async () => {
      partner = await server.createPartner();
      rotatedToken = (await admin('POST', `/partners/${partner.partner_id}/rotate-token`, { grace_seconds: 3600 })).body.client_token;
      const created = await createSession(partner.client_token, sessionBody({ partner_user_id: 'private-user', user_email: email }));
      expect(created.status).toBe(200);
      await createSession(rotatedToken, sessionBody({ partner_user_id: 'private-user', user_email: email }), {
        'idempotency-key': 'at-rest-1',
      });
    });

    /** Every row of every table in this server's schema, as JSON text. */
    async function everyStoredRow(): Promise<Map<string, string>> {
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(
        server.platform.db,
      );
      const dump = new Map<string, string>();
      for (const { table_name } of tables.rows) {
        const rows = await sql`select * from ${sql.table(table_name)}`.execute(server.platform.db);
        dump.set(table_name, JSON.stringify(rows.rows));
      }
      expect([...dump.keys()]).toEqual(
        expect.arrayContaining(['partners', 'partner_tokens', 'identities', 'transactions', 'idempotency_keys']),
      );
      return dump;
    }

    it('shows a client_token in the admin API only as its prefix', async () => {
      const shown = await admin('GET', `/partners/${partner.partner_id}`);
      expect(shown.status).toBe(200);
      const text = JSON.stringify(shown.body);
      for (const token of [partner.client_token, rotatedToken]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(token.slice(3));
      }
      expect(shown.body.tokens.map((token: { prefix: string }) => token.prefix).sort()).toEqual(
        [partner.client_token.slice(0, 10), rotatedToken.slice(0, 10)].sort(),
      );
      const listed = JSON.stringify((await admin('GET', '/partners')).body);
      expect(listed).not.toContain(partner.client_token);
      expect(listed).not.toContain(rotatedToken);
    });

    it('stores client tokens only as SHA-256 hashes', async () => {
      const rows = await server.platform.db.selectFrom('partner_tokens').selectAll().where('partner_id', '=', partner.partner_id).execute();
      expect(rows).toHaveLength(2);
      const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
      expect(rows.map((row) => row.token_hash).sort()).toEqual([sha256(partner.client_token), sha256(rotatedToken)].sort());
      for (const row of rows) {
        for (const value of Object.values(row)) {
          expect(value).not.toBe(partner.client_token);
          expect(value).not.toBe(rotatedToken);
        }
      }
      for (const [table, text] of await everyStoredRow()) {
        for (const token of [partner.client_token, rotatedToken]) {
          expect(text.includes(token.slice(3)), `${table} holds a client token`).toBe(false);
        }
      }
    });

    it("keeps the user's email only encrypted and blind-indexed", async () => {
      const identity = await server.platform.db
        .selectFrom('identities')
        .selectAll()
        .where('partner_id', '=', partner.partner_id)
        .where('partner_user_id', '=', 'private-user')
        .executeTakeFirstOrThrow();
      expect(server.platform.sealer.open(identity.email_enc)).toBe(email);
      expect(identity.email_index).toMatch(/^[0-9a-f]{64}$/);
      for (const [table, text] of await everyStoredRow()) {
        const lower = text.toLowerCase();
        expect(lower.includes(email.toLowerCase()), `${table} holds the email in clear`).toBe(false);
        expect(lower.includes('private.person'), `${table} holds the email's local part in clear`).toBe(false);
      }
    });
  });
});

/** A request with its header lines exactly as given, repeats included (fetch would join them into one). */
function rawRequest(url: string, method: string, headers: string[][], body?: string): Promise<HttpResult> {
  const lines = ['host', new URL(url).host, ...headers.flat()];
  if (body !== undefined) lines.push('content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)));
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers: lines }, (response) => resolve(readAnswer(response)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function readAnswer(response: IncomingMessage): Promise<HttpResult> {
  let text = '';
  for await (const chunk of response) text += chunk;
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) headers.set(name, String(value));
  return { status: response.statusCode!, headers, body: text ? JSON.parse(text) : undefined };
}

describe('failed-authentication throttle', () => {
  // A server of its own: the test leaves this address throttled for a minute.
  const server = useServerWithPartner({ otherPartner: true });

  it('rations lookups from an address after 30 unknown tokens a minute, without touching valid traffic before that', async () => {
    expect((await server.createSession()).status).toBe(200);
    for (let i = 0; i < 30; i++) {
      expectError(await server.getTransaction('x', { token: `ct_guess_${i}` }), 401, 'unauthorised', 'invalid_token');
    }
    // Over the limit, one unknown token a second is still looked up; the rest are refused unread.
    expectError(await server.getTransaction('x', { token: 'ct_guess_31' }), 401, 'unauthorised', 'invalid_token');
    const throttled = expectError(await server.getTransaction('x', { token: 'ct_guess_32' }), 429, 'rate_limited', 'rate_limit_exceeded');
    expect(throttled.message).toContain('failed authentications');
    const retryAfter = Number((await server.getTransaction('x', { token: 'ct_guess_33' })).headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('never locks out a valid partner behind the throttled address (a shared load balancer)', async () => {
    // The same address is still over the limit from the test above.
    expectError(await server.getTransaction('x', { token: 'ct_guess_34' }), 429, 'rate_limited', 'rate_limit_exceeded');
    // A token that authenticated here before passes at once, every time.
    for (let i = 0; i < 3; i++) expect((await server.createSession()).status).toBe(200);
    // A valid token never seen here gets in on the next rationed lookup (one a second).
    server.clock.advance(1_100);
    const other = await server.createSession(undefined, { token: server.otherPartner.client_token });
    expect(other.status).toBe(200);
    expect((await server.createSession(undefined, { token: server.otherPartner.client_token })).status).toBe(200);
  });
});

describe('failed-authentication throttle over WebSocket upgrades', () => {
  // A server of its own: the test leaves this address throttled for a minute.
  const server = useServerWithPartner({ env: { SANDBOX_TOOLS: 'true' } });

  it('counts failed upgrades with the HTTP failures, refuses unknown tokens with 4429, and still lets a known token subscribe', async () => {
    const id = await server.newSession();
    for (let i = 0; i < 30; i++) {
      expect(await connect(server, { tx_id: id }, `ct_ws_guess_${i}`).closed).toEqual({ code: 4401, reason: 'invalid_token' });
    }
    // The address is now over the limit for HTTP too: one rationed lookup, then 429.
    expectError(await server.getTransaction(id, { token: 'ct_http_guess_1' }), 401, 'unauthorised', 'invalid_token');
    expectError(await server.getTransaction(id, { token: 'ct_http_guess_2' }), 429, 'rate_limited', 'rate_limit_exceeded');
    expect(await connect(server, { tx_id: id }, 'ct_ws_guess_late').closed).toEqual({ code: 4429, reason: 'rate_limit_exceeded' });
    const subscriber = connect(server, { tx_id: id }, server.partner.client_token);
    const [snapshot] = await subscriber.next(1);
    expect(snapshot).toMatchObject({ event: 'tx.update', merchant_transaction_id: id, status: 'pending' });
    subscriber.socket.close();
  });
});

describe('failed-authentication throttle on the admin API', () => {
  // A server of its own: the test leaves this address throttled for a minute.
  const server = useServerWithPartner();
  const listPartners = (token: string) => request(`${server.url}/admin/partners`, { token });

  it('rations wrong admin tokens from an address like unknown client tokens, and never locks the admin token out', async () => {
    expect((await listPartners(ADMIN_TOKEN)).status).toBe(200);
    for (let i = 0; i < 30; i++) {
      expectError(await listPartners(`adm_guess_${i}_0123456789abcdefghijklmnop`), 401, 'unauthorised', 'invalid_token');
    }
    // Over the limit, one wrong token a second is still compared; the rest are refused unread.
    expectError(await listPartners('adm_guess_31_0123456789abcdefghijklmnop'), 401, 'unauthorised', 'invalid_token');
    const throttled = expectError(
      await listPartners('adm_guess_32_0123456789abcdefghijklmnop'),
      429,
      'rate_limited',
      'rate_limit_exceeded',
    );
    expect(throttled.message).toContain('failed authentications');
    expect(Number((await listPartners('adm_guess_33_0123456789abcdefghijklmnop')).headers.get('retry-after'))).toBeGreaterThan(0);
    // The admin token authenticated here before the guessing began: it passes at once, every time.
    for (let i = 0; i < 3; i++) expect((await listPartners(ADMIN_TOKEN)).status).toBe(200);
    // The partner API shares the count: the same address is throttled there too.
    expectError(await server.getTransaction('x', { token: 'ct_guess_after_admin' }), 429, 'rate_limited', 'rate_limit_exceeded');
  });
});
