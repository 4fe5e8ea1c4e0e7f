import { expect } from 'vitest';
import { type HttpResult, request } from './test-platform.ts';
import type { ServerWithPartner } from './use-server-with-partner.ts';

/** The smallest files each accepted type starts with: enough for the byte check, and a marker inside. */
export const FILES = {
  jpeg: (marker = '') => new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from(`JFIF ${marker}`)])),
  png: (marker = '') => new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(marker)])),
};

/** Environment for the whole embedded flow: sandbox providers that call back at once, background workers. */
export const EMBED_ENV = {
  SANDBOX_KYC_DELAY: '0',
  SANDBOX_PAYMENT_DELAY: '0',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  SANDBOX_TOOLS: 'true',
};

/** The fields the loader passes from a session response to POST /embed/v1/sessions/open. */
export function openBody(session: Record<string, any>, overrides: Record<string, unknown> = {}) {
  return {
    init_token: session.init_token,
    widget_id: session.widget_id,
    signature: session.signature,
    merchant_transaction_id: session.merchant_transaction_id,
    address: session.address,
    currency: session.currency,
    network: session.network,
    amount: session.amount,
    type: session.type,
    ...overrides,
  };
}

/** An iframe's view of the embed API: open once, then act with the credential. */
export interface Widget {
  credential: string;
  state: any;
  call(
    path: string,
    options?: { method?: string; body?: unknown; rawBody?: Uint8Array<ArrayBuffer>; headers?: Record<string, string> },
  ): Promise<HttpResult>;
  /** Reads the state until `predicate` holds (callbacks arrive asynchronously); fails after `timeoutMs`. */
  waitFor(predicate: (state: any) => boolean, timeoutMs?: number): Promise<any>;
}

export async function openWidget(server: ServerWithPartner, session: Record<string, any>): Promise<Widget> {
  const opened = await request(`${server.url}/embed/v1/sessions/open`, { body: openBody(session) });
  expect(opened.status, JSON.stringify(opened.body)).toBe(200);
  const credential: string = opened.body.credential;
  const call: Widget['call'] = (path, options = {}) =>
    request(`${server.url}/embed/v1${path}`, {
      token: credential,
      ...(options.method ? { method: options.method } : {}),
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.rawBody !== undefined ? { rawBody: options.rawBody } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
  return {
    credential,
    state: opened.body.state,
    call,
    async waitFor(predicate, timeoutMs = 8_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any;
      for (;;) {
        const read = await call('/session');
        last = read.body;
        if (read.status === 200 && predicate(last)) return last;
        if (Date.now() > deadline) throw new Error(`state never matched: ${JSON.stringify(last)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** Uploads a passport front and a selfie and submits them; `lastName` picks the sandbox's decision. */
export async function verifyIdentity(widget: Widget, lastName = 'Lovelace'): Promise<void> {
  for (const side of ['front', 'selfie']) {
    const uploaded = await widget.call(`/kyc/documents/${side}`, {
      method: 'PUT',
      rawBody: FILES.jpeg(),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(200);
  }
  const submitted = await widget.call('/kyc/submit', { body: { document_type: 'passport', first_name: 'Ada', last_name: lastName } });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
}

export const card = (number: string) => ({ method: 'card', card: { number, expiry_month: 12, expiry_year: 2031, cvc: '123' } });
