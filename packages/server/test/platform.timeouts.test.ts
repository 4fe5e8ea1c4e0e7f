import { connect as connectTcp } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/** Sends raw bytes and resolves with everything the server answers until it closes (or `waitMs` passes). */
function rawExchange(url: string, bytes: string, waitMs = 8_000): Promise<{ text: string; elapsedMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connectTcp(Number(port), hostname, () => socket.write(bytes));
    let text = '';
    const finish = () => resolve({ text, elapsedMs: Date.now() - started });
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, waitMs);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      finish();
    });
    socket.on('error', () => {});
  });
}

/** The status line, the headers and the parsed JSON body of a raw HTTP answer. */
function parse(text: string) {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: body ? JSON.parse(body) : undefined };
}

describe('clients that stall or send what is not HTTP', () => {
  const server = useServerWithPartner({ env: { REQUEST_TIMEOUT: '2s', HEADERS_TIMEOUT: '1s' } });

  it('answers 408 in the documented shape when the body never comes, unauthenticated, even on /healthz', async () => {
    const { text, elapsedMs } = await rawExchange(
      server.url,
      'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"a"',
    );
    const answer = parse(text);
    expect(answer.status, text).toBe(408);
    expect(answer.body).toEqual({
      error: 'invalid_request',
      code: 'request_timeout',
      message: expect.any(String),
      request_id: answer.headers['x-request-id'],
    });
    expect(answer.headers['x-request-id']).toMatch(/^req_/);
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('answers 408 when the headers never finish', async () => {
    const { text } = await rawExchange(server.url, 'GET /widget/transactions/x HTTP/1.1\r\nHost: x\r\n');
    expect(parse(text)).toMatchObject({ status: 408, body: { code: 'request_timeout' } });
  });

  it('answers 431 for oversized headers and 400 for bytes that are not HTTP, each with a request id', async () => {
    const big = parse((await rawExchange(server.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).text);
    expect(big).toMatchObject({ status: 431, body: { error: 'invalid_request', code: 'headers_too_large' } });
    expect(big.headers['x-request-id']).toBe(big.body.request_id);
    const garbled = parse((await rawExchange(server.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad\u0001Header: y\r\n\r\n')).text);
    expect(garbled).toMatchObject({ status: 400, body: { error: 'invalid_request', code: 'decode_error' } });
    expect(garbled.headers['x-request-id']).toMatch(/^req_/);
  });

  it('closes the connection of an upgrade request it answers over HTTP instead of upgrading', async () => {
    const upgrade = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';
    const token = `Authorization: Bearer ${server.partner.client_token}`;
    for (const [request, status] of [
      [`GET /healthz HTTP/1.1\r\nHost: x\r\n${upgrade}\r\n\r\n`, 200],
      [`GET /ws?tx_id=x HTTP/1.1\r\nHost: x\r\n${upgrade}\r\n${token}\r\n${token}\r\n\r\n`, 400],
    ] as const) {
      const { text, elapsedMs } = await rawExchange(server.url, request, 3_000);
      expect(parse(text).status, text).toBe(status);
      expect(elapsedMs, 'the socket was left open').toBeLessThan(2_000);
    }
  });

  it('still serves a client that sends its request in time', async () => {
    expect((await server.request('/healthz')).status).toBe(200);
    expect((await server.createSession()).status).toBe(200);
  });
});
