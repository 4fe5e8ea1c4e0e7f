import { describe, it } from 'vitest';
import { expectError } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Behind a load balancer the client's address comes from X-Forwarded-For, which the client can also
 * write: each proxy appends the peer it saw, so only the entries the trusted proxies added are true.
 * The partner here allows one address; a client elsewhere forges it as the first entry.
 */
const ALLOWED = '198.51.100.7';
const ELSEWHERE = '203.0.113.50';

describe.each([
  ['a hop count', '1'],
  ['the proxy addresses', '127.0.0.1/32, ::1'],
])('TRUST_PROXY as %s', (_label, trustProxy) => {
  const server = useServerWithPartner({ env: { TRUST_PROXY: trustProxy }, partner: { ip_allowlist: [`${ALLOWED}/32`] } });
  // An unknown transaction: 404 means the caller got past the IP allowlist, 403 that it did not.
  const read = (forwardedFor?: string) =>
    server.getTransaction('no-such-transaction', { headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } });

  it('believes the entry the load balancer appended', async () => {
    expectError(await read(ALLOWED), 404, 'not_found', 'not_found');
  });

  it('ignores an entry the client wrote itself', async () => {
    expectError(await read(`${ALLOWED}, ${ELSEWHERE}`), 403, 'forbidden', 'forbidden_ip');
    expectError(await read(`${ALLOWED}, ${ALLOWED}, ${ELSEWHERE}`), 403, 'forbidden', 'forbidden_ip');
  });

  it('uses the socket peer when no proxy forwarded anything', async () => {
    expectError(await read(), 403, 'forbidden', 'forbidden_ip');
  });
});
