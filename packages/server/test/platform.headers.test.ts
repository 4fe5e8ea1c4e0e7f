import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, request, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/** Response headers that protect what the platform answers, whatever the route or outcome. */
describe('protective response headers', () => {
  const server = useServerWithPartner();

  it('session answers (they carry the init token) are never stored, and never sniffed', async () => {
    const created = await server.createSession(sessionBody());
    expect(created.status).toBe(200);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.headers.get('x-content-type-options')).toBe('nosniff');
    const refused = await request(`${server.url}/widget/session`, { body: sessionBody() });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('transaction reads and admin answers (client tokens, webhook secrets) are never stored either', async () => {
    const id = await server.newSession();
    expect((await server.getTransaction(id)).headers.get('cache-control')).toBe('no-store');
    const partners = await request(`${server.url}/admin/partners`, { token: ADMIN_TOKEN });
    expect(partners.status).toBe(200);
    expect(partners.headers.get('cache-control')).toBe('no-store');
  });

  it('every other answer is nosniff too: health, unknown routes', async () => {
    for (const path of ['/healthz', '/readyz', '/no-such-route', '/openapi.json']) {
      expect((await request(`${server.url}${path}`)).headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('the API reference has a Content-Security-Policy that allows only its own code', async () => {
    const page = await fetch(`${server.url}/docs/static/index.html`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toMatch(/script-src 'self'( 'sha256-[^']+')* ?;/);
    expect(csp).not.toMatch(/'unsafe-(inline|eval)'/);
    expect(csp).not.toContain('upgrade-insecure-requests');
  });
});

describe('methods a path does not take', () => {
  const server = useServerWithPartner();

  it.each([
    ['DELETE', '/widget/session', 'POST'],
    ['PUT', '/widget/transactions/any-id', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/admin/partners/ptr_x', 'GET, HEAD, PATCH'],
  ])('%s %s answers 405 with Allow: %s, in the documented shape', async (method, path, allow) => {
    const answer = await request(`${server.url}${path}`, { method });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe(allow);
    expect(answer.body).toEqual({
      error: 'invalid_request',
      code: 'method_not_allowed',
      message: expect.stringContaining(allow),
      request_id: answer.headers.get('x-request-id'),
    });
  });

  it('an unknown path is still 404', async () => {
    expect((await request(`${server.url}/widget/nothing-here`, { method: 'DELETE' })).status).toBe(404);
  });
});
