import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hostedWidgetUrl, ProofRampWebhookError, type SessionResponse, verifyWebhook } from '@proof-ramp/sdk-node';

/**
 * A partner of Proof Ramp, as small as one can be: a shop's backend that follows the README's
 * quickstart, and its page embedding the widget.
 *
 * - `GET /`: the page (public/: plain HTML, one script file, one style sheet; nothing inline, so it
 *   runs under the strict CSP it is sent with).
 * - `POST /api/session` `{type, asset: "USDT:TRC20", amount}`: creates a session with the
 *   platform's `POST /widget/session` (the partner's client_token in `Authorization`, which never
 *   leaves this server), passing the browser's IP as `client_ip` and a fresh
 *   `merchant_transaction_id`, and answers `{session, hosted_url}` to the page.
 * - `POST /hosted` (a form): the same, with `redirect_url` back to this page, answered by a redirect
 *   to the hosted widget page (docs/mobile.md): what an app opens in a Custom Tab.
 * - `POST /webhooks/proof`: the partner's webhook receiver. It verifies the Standard Webhooks
 *   signature on the raw body (400 when it does not match), records the event and relays it live
 *   to every open page over `GET /api/events` (Server-Sent Events).
 */

export interface PartnerDemoOptions {
  /** Where the platform is, as browsers reach it (the widget's script and frame come from there), e.g. http://localhost:8080. */
  platformUrl: string;
  /** Where this server reaches the platform's API, when not at `platformUrl` (e.g. inside a container network). */
  platformApiUrl?: string;
  /** The partner's client_token (server side only). */
  clientToken: string;
  /** The partner's webhook secret (`whsec_…`), to verify the platform's webhooks. */
  webhookSecret: string;
  /** Where to listen; default 127.0.0.1. */
  host?: string;
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** This demo's address as browsers reach it; default http://localhost:<port>. Register its origin for the partner. */
  publicUrl?: string;
  /** The shop's user who buys and sells; default demo-user-1 (a verified user skips verification next time). */
  partnerUserId?: string;
  userEmail?: string;
  /**
   * A wallet to send a buy's crypto to. Only for partners allowed to supply addresses
   * (`allow_partner_address`): the sandbox partner routes buys to its own configured wallets and
   * refuses an address, so by default none is sent.
   */
  buyAddress?: string;
  /**
   * The platform's admin token, given only in the sandbox: the page then offers to send a sell's
   * deposit on the sandbox chain (the operator calls of docs/sandbox.md), as the user's wallet would.
   */
  sandboxAdminToken?: string;
}

/** A webhook the demo received and verified. */
export interface DemoWebhook {
  /** The `webhook-id` header (the same for every retry of one event). */
  id: string;
  receivedAt: string;
  /** The verified body: a transaction's status change, or an operator's test event. */
  payload: Record<string, unknown>;
}

export interface PartnerDemo {
  /** The page's address (no trailing slash), e.g. http://localhost:4000. */
  url: string;
  /** The origins the partner must register so its page may frame the widget: `url`'s, and its 127.0.0.1 / localhost twin. */
  origins: string[];
  /** Where the platform should send the partner's webhooks: `${url}/webhooks/proof`. */
  webhookUrl: string;
  /** Every verified webhook, in the order received. */
  webhooks: DemoWebhook[];
  close(): Promise<void>;
}

const PUBLIC_DIR = join(import.meta.dirname, '..', 'public');
const BODY_LIMIT = 64 * 1024;
const ASSET = /^([A-Z0-9]{2,16}):([A-Z0-9]{2,16})$/;
const AMOUNT = /^\d{1,12}(\.\d{1,18})?$/;

export async function startPartnerDemo(options: PartnerDemoOptions): Promise<PartnerDemo> {
  const platformUrl = new URL(options.platformUrl).origin;
  const apiUrl = (options.platformApiUrl ?? options.platformUrl).replace(/\/+$/, '');
  const host = options.host ?? '127.0.0.1';
  const webhooks: DemoWebhook[] = [];
  const listeners = new Set<ServerResponse>();
  const files = loadPublicFiles(platformUrl);
  let url = '';

  /** POST /widget/session, exactly as the quickstart does it. */
  async function createSession(request: IncomingMessage, order: Order, hosted = false) {
    const merchantTransactionId = `demo-${randomUUID()}`;
    // The hosted page offers (or follows) redirect_url at the end of the flow: back to the shop.
    const redirectUrl = hosted ? `${url}/?returned=${merchantTransactionId}` : undefined;
    const response = await fetch(`${apiUrl}/widget/session`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.clientToken}`,
        'content-type': 'application/json',
        // One key per order: a retry of this request could never create a second session.
        'idempotency-key': merchantTransactionId,
      },
      body: JSON.stringify({
        partner_user_id: options.partnerUserId ?? 'demo-user-1',
        user_email: options.userEmail ?? 'demo-user-1@example.com',
        merchant_transaction_id: merchantTransactionId,
        type: order.type,
        currency: order.currency,
        network: order.network,
        amount: order.amount,
        // The user's IP as this server saw it: the platform binds it into the session's signature.
        client_ip: clientIp(request),
        ...(order.type === 'buy' && options.buyAddress ? { address: options.buyAddress } : {}),
        ...(redirectUrl ? { redirect_url: redirectUrl } : {}),
      }),
    });
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    return { status: response.status, body };
  }

  /**
   * The sandbox stands in for the user's wallet: the deposit the widget asked for, sent on the
   * sandbox chain, and the blocks that confirm it (POST /admin/sandbox/chain/deposits, …/mine).
   */
  async function sendSandboxDeposit(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!options.sandboxAdminToken) return sendJson(response, 404, { error: 'not_found' });
    const given = (await readJson(request)) as Record<string, unknown> | null;
    const deposit = {
      network: String(given?.network ?? ''),
      asset: String(given?.currency ?? ''),
      to: String(given?.address ?? ''),
      amount: String(given?.amount ?? ''),
    };
    if (!ASSET.test(`${deposit.asset}:${deposit.network}`) || !AMOUNT.test(deposit.amount) || !/^\w{20,100}$/.test(deposit.to)) {
      return sendJson(response, 400, { error: 'invalid_request', message: 'network, currency, address and amount are needed' });
    }
    const admin = (path: string, body: unknown) =>
      fetch(`${apiUrl}/admin/sandbox/chain/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.sandboxAdminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const sent = await admin('deposits', deposit);
    if (!sent.ok) return sendJson(response, 502, { error: 'upstream', message: `the platform answered ${sent.status}` });
    // A block to hold the transfer and the confirmations the sandbox chain asks for.
    const mined = await admin('mine', { network: deposit.network, blocks: 3 });
    return sendJson(response, mined.ok ? 200 : 502, { sent: true, mined: mined.ok });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://demo').pathname;
    const route = `${request.method} ${path}`;
    switch (route) {
      case 'GET /':
      case 'GET /index.html':
        return sendFile(response, files.page);
      case 'GET /app.js':
        return sendFile(response, files.script);
      case 'GET /style.css':
        return sendFile(response, files.style);
      case 'GET /api/events':
        return openEvents(request, response);
      case 'GET /favicon.ico':
        // Browsers ask for one by themselves; answering keeps their consoles free of a 404.
        response.writeHead(204).end();
        return;
      case 'POST /api/session': {
        const order = parseOrder(await readJson(request));
        if (typeof order === 'string') return sendJson(response, 400, { error: 'invalid_request', message: order });
        const created = await createSession(request, order);
        if (created.status !== 200 || !created.body) return sendJson(response, created.status === 200 ? 502 : created.status, created.body);
        const session = created.body as unknown as SessionResponse;
        return sendJson(response, 200, { session, hosted_url: hostedWidgetUrl(platformUrl, session) });
      }
      case 'POST /hosted': {
        const order = parseOrder(Object.fromEntries(new URLSearchParams((await readBody(request)).toString('utf8'))));
        if (typeof order === 'string') return sendText(response, 400, order);
        const created = await createSession(request, order, true);
        if (created.status !== 200 || !created.body) {
          return sendText(response, 502, `The platform refused the session: ${String(created.body?.message ?? created.status)}`);
        }
        // The session travels in the fragment: it reaches neither this server's nor the platform's logs.
        response.writeHead(303, {
          location: hostedWidgetUrl(platformUrl, created.body as unknown as SessionResponse),
          'cache-control': 'no-store',
        });
        response.end();
        return;
      }
      case 'POST /webhooks/proof':
        return receiveWebhook(request, response);
      case 'POST /api/sandbox-deposit':
        return sendSandboxDeposit(request, response);
      default: {
        const allowed =
          { '/': 'GET', '/index.html': 'GET', '/app.js': 'GET', '/style.css': 'GET', '/api/events': 'GET' }[path] ??
          { '/api/session': 'POST', '/hosted': 'POST', '/webhooks/proof': 'POST', '/api/sandbox-deposit': 'POST' }[path];
        if (allowed) {
          response.setHeader('allow', allowed);
          return sendJson(response, 405, { error: 'method_not_allowed' });
        }
        return sendJson(response, 404, { error: 'not_found' });
      }
    }
  }

  async function receiveWebhook(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request); // the raw bytes: the signature covers them as sent
    let payload: Record<string, unknown>;
    try {
      payload = verifyWebhook(body, request.headers, options.webhookSecret) as unknown as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof ProofRampWebhookError)) throw error;
      return sendJson(response, 400, { error: 'invalid_signature', message: error.message });
    }
    const event: DemoWebhook = { id: String(request.headers['webhook-id']), receivedAt: new Date().toISOString(), payload };
    webhooks.push(event);
    broadcast('webhook', event);
    // Answer fast; a real shop would update its order here (idempotently: deliveries are at least once).
    response.writeHead(204).end();
  }

  function openEvents(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    response.write('retry: 2000\n\n');
    listeners.add(response);
    request.on('close', () => listeners.delete(response));
  }

  function broadcast(name: string, data: unknown): void {
    const message = `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const listener of listeners) listener.write(message);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof BodyError) return sendJson(response, error.status, { error: 'invalid_request', message: error.message });
      const platformDown = (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
      if (!platformDown) console.error('partner demo:', error);
      if (!response.headersSent)
        sendJson(response, 502, {
          error: 'upstream_unavailable',
          message: platformDown ? `Proof Ramp does not answer at ${apiUrl}` : 'internal error',
        });
      else response.destroy();
    });
  });
  // Server-Sent Events stay open: without this, a keep-alive ping would be needed for every timeout.
  server.requestTimeout = 0;
  const keepAlive = setInterval(() => {
    for (const listener of listeners) listener.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  url = (options.publicUrl ?? `http://localhost:${port}`).replace(/\/+$/, '');

  return {
    url,
    origins: twinOrigins(new URL(url).origin),
    webhookUrl: `${url}/webhooks/proof`,
    webhooks,
    close: async () => {
      clearInterval(keepAlive);
      for (const listener of listeners) listener.end();
      listeners.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Order {
  type: 'buy' | 'sell';
  currency: string;
  network: string;
  amount: string;
}

/** The page's order, checked before anything is sent to the platform (which checks it again). */
function parseOrder(input: unknown): Order | string {
  const fields = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const type = fields.type ?? 'buy';
  if (type !== 'buy' && type !== 'sell') return 'type must be buy or sell';
  const asset = ASSET.exec(String(fields.asset ?? 'USDT:TRC20'));
  if (!asset) return 'asset must be CURRENCY:NETWORK, e.g. USDT:TRC20';
  const amount = String(fields.amount ?? '').trim();
  if (!AMOUNT.test(amount)) return 'amount must be a decimal number such as 100 or 0.005';
  return { type, currency: asset[1]!, network: asset[2]!, amount };
}

/** The browser's address as this server saw it (the demo runs with no proxy in front). */
function clientIp(request: IncomingMessage): string | undefined {
  const address = request.socket.remoteAddress;
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

/** http://localhost:4000 and http://127.0.0.1:4000 are one page to the user, two origins to a browser. */
function twinOrigins(origin: string): string[] {
  if (origin.includes('://localhost:')) return [origin, origin.replace('://localhost:', '://127.0.0.1:')];
  if (origin.includes('://127.0.0.1:')) return [origin, origin.replace('://127.0.0.1:', '://localhost:')];
  return [origin];
}

interface PublicFile {
  body: Buffer;
  type: string;
  headers?: Record<string, string>;
}

function loadPublicFiles(platformUrl: string): { page: PublicFile; script: PublicFile; style: PublicFile } {
  const read = (name: string) => readFileSync(join(PUBLIC_DIR, name), 'utf8');
  return {
    page: {
      body: Buffer.from(read('index.html').replaceAll('%PLATFORM_URL%', escapeAttribute(platformUrl))),
      type: 'text/html; charset=utf-8',
      headers: pageHeaders(platformUrl),
    },
    script: { body: Buffer.from(read('app.js')), type: 'text/javascript; charset=utf-8' },
    style: { body: Buffer.from(read('style.css')), type: 'text/css; charset=utf-8' },
  };
  function escapeAttribute(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }
}

/**
 * The page's own policy: scripts from itself and the platform (the loader), frames from the
 * platform (the widget), forms to itself and the platform (the hosted page's redirect), no inline code.
 */
function pageHeaders(platformUrl: string): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'self'",
      `script-src 'self' ${platformUrl}`,
      `frame-src ${platformUrl}`,
      `form-action 'self' ${platformUrl}`,
      "img-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-content-type-options': 'nosniff',
  };
}

function sendFile(response: ServerResponse, file: PublicFile): void {
  response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', ...file.headers });
  response.end(file.body);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
}

class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new BodyError(413, 'the body is too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  try {
    return JSON.parse((await readBody(request)).toString('utf8') || '{}');
  } catch (error) {
    if (error instanceof BodyError) throw error;
    throw new BodyError(400, 'the body is not JSON');
  }
}
