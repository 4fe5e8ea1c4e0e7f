import { beforeAll, describe, expect, it } from 'vitest';
import { connect } from './delivery-kit.ts';
import { expectError, type HttpResult, type PartnerCredentials } from './test-platform.ts';
import type { ServerWithPartner } from './use-server-with-partner.ts';

/**
 * The authentication and access rules every partner route shares (partner API contract,
 * "Authentication and access control"), as one suite a route's test file runs by adding a line:
 *
 *   runCommonRouteTests(server, { name: 'GET /widget/transactions/{id}', method: 'GET', path: async (s) => …, anotherPartner: 'not_found' });
 *
 * Each run checks: the partner's own token works (so the refusals below are about the token, not
 * the path), the scheme in any case; no token → 401 missing_token; a malformed Authorization
 * header, an unknown token, a revoked one → 401 invalid_token; another partner's token → 404
 * not_found on the seeded partner's resource (or, for a route that acts for its caller, acting for
 * that partner); an unregistered Origin → 403 forbidden_origin. HTTP refusals are in the documented
 * error shape with the request id in X-Request-Id; the /ws upgrade answers with close codes instead
 * (4401 with the error code as reason, 4404 not_found) and sends nothing first.
 *
 * One run costs 7 of the 30 failed authentications an address may make a minute, so a server
 * takes at most four HTTP routes' runs.
 */

export type PartnerRoute = HttpRoute | WebSocketRoute;

export interface HttpRoute {
  /** How the tests are titled, e.g. 'GET /widget/transactions/{id}'. */
  name: string;
  method: 'GET' | 'POST';
  /** The path, naming a resource of the seeded partner when it has an id; a function when that resource must be made first. */
  path: string | ((server: ServerWithPartner) => Promise<string>);
  /** A valid body, for POST. */
  body?: unknown;
  /**
   * What another partner's valid token gets: 'not_found' when the path names the seeded partner's
   * resource (never 403: existence must not leak), or, for a route that acts for whoever calls it,
   * a check that it did so for that partner.
   */
  anotherPartner: 'not_found' | ((result: HttpResult, caller: PartnerCredentials) => void);
}

export interface WebSocketRoute {
  name: string;
  method: 'WS';
  /** The /ws query for a subscription the seeded partner may open (made first). */
  query: (server: ServerWithPartner) => Promise<Record<string, string>>;
}

const MALFORMED: Array<[string, string]> = [
  ['a Basic scheme', `Basic ${Buffer.from('user:pass').toString('base64')}`],
  ['a Token scheme', 'Token ct_whatever'],
  ['Bearer without a token', 'Bearer'],
  ['a bare token', 'ct_0123456789'],
  ['an over-long token', `Bearer ${'x'.repeat(600)}`],
];
const UNKNOWN_TOKEN = 'ct_doesnotexist0123456789abcdef';
const FOREIGN_ORIGIN = 'https://evil.example';
/** The documented refusals, and how the /ws upgrade says the same thing. */
const REFUSALS = {
  missing_token: { status: 401, error: 'unauthorised', close: 4401 },
  invalid_token: { status: 401, error: 'unauthorised', close: 4401 },
  forbidden_origin: { status: 403, error: 'forbidden', close: 4401 },
  not_found: { status: 404, error: 'not_found', close: 4404 },
} as const;
type Refusal = keyof typeof REFUSALS;

export function runCommonRouteTests(server: ServerWithPartner, route: PartnerRoute): void {
  describe(`common route tests: ${route.name}`, () => {
    let other: PartnerCredentials;
    let revokedToken: string;
    let target: string | Record<string, string>;

    beforeAll(async () => {
      target = route.method === 'WS' ? await route.query(server) : typeof route.path === 'string' ? route.path : await route.path(server);
      other = await server.createPartner({ name: 'Another Partner' });
      const revoked = await server.createPartner({ name: 'Revoked Partner' });
      // Used once first, so this node has the token cached: revoking it must still take effect at once.
      expect((await server.getTransaction('warm-up', { token: revoked.client_token })).status).toBe(404);
      const rotated = await server.admin(`/partners/${revoked.partner_id}/rotate-token`, { method: 'POST', body: { grace_seconds: 0 } });
      expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
      revokedToken = revoked.client_token;
    });

    /** Calls the route with exactly these headers (no token unless `authorization` carries one). */
    const send = (headers: Record<string, string>) => {
      if (route.method === 'WS') throw new Error('send is for HTTP routes');
      return server.request(target as string, {
        method: route.method,
        token: null,
        headers,
        ...(route.body === undefined ? {} : { body: route.body }),
      });
    };
    /** Opens /ws with exactly these headers and resolves with how it closed, checking nothing was sent first. */
    const subscribe = async (headers: Record<string, string>) => {
      const client = connect(server, target as Record<string, string>, undefined, { headers });
      const closed = await client.closed;
      expect(client.messages).toEqual([]);
      return closed;
    };
    const expectRefused = async (headers: Record<string, string>, refusal: Refusal) => {
      const { status, error, close } = REFUSALS[refusal];
      if (route.method === 'WS') {
        expect(await subscribe(headers)).toEqual({ code: close, reason: refusal });
        return;
      }
      const result = await send(headers);
      expectError(result, status, error, refusal);
      expect(result.headers.get('x-request-id')).toMatch(/\S/);
    };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    it("accepts the partner's own token, with the scheme in any case", async () => {
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
        const authorization = `${scheme} ${server.partner.client_token}`;
        if (route.method === 'WS') {
          const client = connect(server, target as Record<string, string>, undefined, { headers: { authorization } });
          expect((await client.next(1))[0]).toMatchObject({ event: 'tx.update' });
          client.socket.close();
          await client.closed;
        } else {
          const result = await send({ authorization });
          expect(result.status, `${scheme}: ${JSON.stringify(result.body)}`).toBe(200);
        }
      }
    });

    it('refuses a request without a token, or with an empty Authorization header: 401 missing_token', async () => {
      await expectRefused({}, 'missing_token');
      await expectRefused({ authorization: '' }, 'missing_token');
    });

    it.each(MALFORMED)('refuses %s: 401 invalid_token', async (_label, authorization) => {
      await expectRefused({ authorization }, 'invalid_token');
    });

    it('refuses an unknown token: 401 invalid_token', async () => {
      await expectRefused(bearer(UNKNOWN_TOKEN), 'invalid_token');
    });

    it('refuses a revoked token at once, although this node had it cached: 401 invalid_token', async () => {
      await expectRefused(bearer(revokedToken), 'invalid_token');
    });

    if (route.method === 'WS' || route.anotherPartner === 'not_found') {
      it("answers another partner's token with 404 not_found, as for an unknown id (never 403)", async () => {
        await expectRefused(bearer(other.client_token), 'not_found');
      });
    } else {
      const check = route.anotherPartner;
      it("acts for another partner when called with that partner's token", async () => {
        const result = await send(bearer(other.client_token));
        expect(result.status, JSON.stringify(result.body)).toBe(200);
        check(result, other);
      });
    }

    it('refuses an Origin the partner did not register: 403 forbidden_origin', async () => {
      await expectRefused({ ...bearer(server.partner.client_token), origin: FOREIGN_ORIGIN }, 'forbidden_origin');
    });
  });
}
