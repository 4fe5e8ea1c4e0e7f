import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookSender, type WebhookSender } from './send-webhook.ts';

/** The sender against a local server whose answer each test sets: one HTTP attempt, start to finish. */
describe('createWebhookSender', () => {
  const secret = `whsec_${Buffer.from('a secret of the endpoint, 32 bytes').toString('base64')}`;
  let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end();
  const seen: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = [];
  const open = new Set<ServerResponse>();
  let server: Server;
  let base: string;
  let sender: WebhookSender;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        open.add(res);
        res.on('close', () => open.delete(res));
        answer(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sender = createWebhookSender({ timeoutMs: 300, allowPrivateTargets: true });
  });
  afterEach(() => {
    for (const res of open) res.destroy();
    seen.length = 0;
  });
  afterAll(async () => {
    await sender.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (url: string, body = '{"status":"completed"}') =>
    sender.send({ id: 'msg_test1', url, secrets: [secret], body, now: new Date() });

  it('POSTs the body as it is, signed per Standard Webhooks, to the path and query given', async () => {
    const body = '{"status":"completed","note":"é ✓"}';
    const result = await send(`${base}/hooks/proof?tenant=7`, body);
    expect(result).toMatchObject({ statusCode: 204, error: null, retryAfter: null });
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request!.url).toBe('/hooks/proof?tenant=7');
    expect(request!.body).toBe(body);
    expect(request!.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': 'msg_test1' });
    const verified = new Webhook(secret).verify(request!.body, {
      'webhook-id': String(request!.headers['webhook-id']),
      'webhook-timestamp': String(request!.headers['webhook-timestamp']),
      'webhook-signature': String(request!.headers['webhook-signature']),
    });
    expect(verified).toEqual(JSON.parse(body));
  });

  it('answers any status code with its Retry-After, without following a redirect', async () => {
    answer = (_req, res) => res.writeHead(503, { 'retry-after': '120' }).end('busy');
    expect(await send(`${base}/busy`)).toMatchObject({ statusCode: 503, error: null, retryAfter: '120' });
    answer = (_req, res) => res.writeHead(302, { location: `${base}/elsewhere` }).end();
    expect(await send(`${base}/moved`)).toMatchObject({ statusCode: 302, error: null });
    expect(seen.map((one) => one.url)).toEqual(['/busy', '/moved']);
  });

  it('reads at most 64 KiB of an answer: a longer body is cut off and the status code stands', async () => {
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(16 * 1024);
      // Endless: only the sender's cut-off ends it before the timeout would.
      const more = () => {
        while (res.write(chunk));
        res.once('drain', more);
      };
      more();
    };
    const result = await send(`${base}/endless`);
    expect(result).toMatchObject({ statusCode: 200, error: null });
    expect(result.latencyMs).toBeLessThan(250);
  });

  it('times the whole attempt out: no answer at all is an error, a stalled body keeps its status code', async () => {
    answer = () => {};
    const silent = await send(`${base}/silent`);
    expect(silent).toMatchObject({ statusCode: null, error: 'timeout' });
    expect(silent.latencyMs).toBeGreaterThanOrEqual(280);
    expect(silent.latencyMs).toBeLessThan(2_000);

    answer = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    };
    const stalled = await send(`${base}/stalls`);
    expect(stalled).toMatchObject({ statusCode: 200, error: null });
    expect(stalled.latencyMs).toBeGreaterThanOrEqual(280);
  });

  it('reports a refused connection and a connection closed before any answer as errors', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await send(`http://127.0.0.1:${port}/gone`);
    expect(refused.statusCode).toBeNull();
    expect(refused.error).toMatch(/^ECONNREFUSED: /);

    answer = (req) => req.socket.destroy();
    const dropped = await send(`${base}/drops`);
    expect(dropped.statusCode).toBeNull();
    expect(dropped.error).toMatch(/^UND_ERR_SOCKET: /);
  });

  it('refuses a private address written literally, without connecting, when private targets are not allowed', async () => {
    const guarded = createWebhookSender({ timeoutMs: 300, allowPrivateTargets: false });
    try {
      for (const url of [`${base}/hooks`, 'http://[::1]:9/hooks', 'http://10.0.0.8/hooks']) {
        const result = await guarded.send({ id: 'msg_test2', url, secrets: [secret], body: '{}', now: new Date() });
        expect(result.statusCode).toBeNull();
        expect(result.error).toMatch(/^blocked: /);
      }
      expect(seen).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  });
});
