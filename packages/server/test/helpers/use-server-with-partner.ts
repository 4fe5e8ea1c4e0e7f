import { afterAll, beforeAll } from 'vitest';
import type { PartnerInput } from '../../src/modules/partners/partner-config.ts';
import {
  ADMIN_TOKEN,
  type HttpResult,
  type PartnerCredentials,
  request,
  sessionBody,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from './test-platform.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

/**
 * The lifecycle most integration test files share: one real server over a fresh database, one
 * seeded partner (the sandbox partner's settings), and whatever differs per file as options.
 *
 *   describe('…', () => {
 *     const server = useServerWithPartner({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
 *     it('…', async () => {
 *       const created = await server.createSession(sessionBody({ amount: '50' }));
 *       expect((await server.getTransaction(created.body.merchant_transaction_id)).status).toBe(200);
 *     });
 *   });
 *
 * It registers beforeAll/afterAll in the calling describe and returns at once; the returned object's
 * fields are filled in by that beforeAll, so read them inside tests and hooks, not at collection
 * time (reading one earlier throws). Hooks a file adds after this call run after the start and,
 * because vitest runs "after" hooks in reverse, before the close.
 */

export interface ServerWithPartnerOptions extends TestServerOptions {
  /** Overrides of the seeded partner's settings (the sandbox partner's by default). */
  partner?: PartnerInput;
  /** Also seed a second partner ("Other Partner", sandbox settings, or these), as `otherPartner`. */
  otherPartner?: boolean | PartnerInput;
  /**
   * Start a local webhook receiver (`receiver`) and point the seeded partner's webhook_url at its
   * /hooks, unless `partner.webhook_url` says otherwise. Deliveries also need `background: true`
   * and, for a loopback receiver, WEBHOOK_ALLOW_PRIVATE_TARGETS=true (see DELIVERY_ENV).
   */
  webhookReceiver?: boolean;
}

/** How a request is authenticated: the seeded partner's token by default, another token, or none (null). */
export interface PartnerRequestOptions {
  token?: string | null;
  method?: string;
  body?: unknown;
  /** Sent as is: text, or bytes for a body that is not UTF-8. */
  rawBody?: string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
}

export interface ServerWithPartner extends Omit<TestServer, 'close'> {
  /** The seeded partner: ids, client token and webhook secret. */
  partner: PartnerCredentials;
  /** The second partner, when asked for with `otherPartner`. */
  otherPartner: PartnerCredentials;
  /** The local webhook receiver, when asked for with `webhookReceiver`. */
  receiver: WebhookReceiver;
  /** A JSON request to `path` on this server (see PartnerRequestOptions for the token). */
  request(path: string, options?: PartnerRequestOptions): Promise<HttpResult>;
  /** POST /widget/session with `body` (a valid buy of 100 USDT on TRC20 by default). */
  createSession(body?: unknown, options?: PartnerRequestOptions): Promise<HttpResult>;
  /** Creates a session that must succeed and returns its merchant_transaction_id. */
  newSession(overrides?: Record<string, unknown>, options?: PartnerRequestOptions): Promise<string>;
  /** GET /widget/transactions/{id}. */
  getTransaction(id: string, options?: PartnerRequestOptions): Promise<HttpResult>;
  /** GET /widget/users/{partnerUserId}/kyc-status. */
  getKycStatus(partnerUserId: string, options?: PartnerRequestOptions): Promise<HttpResult>;
  /** A request to /admin`path` with the admin token. */
  admin(path: string, options?: { method?: string; body?: unknown }): Promise<HttpResult>;
  /** Moves a transaction with the sandbox operator call (needs SANDBOX_TOOLS=true). */
  sandboxMove(id: string, status: string, reason?: string): Promise<HttpResult>;
}

interface Started {
  server: TestServer;
  partner: PartnerCredentials;
  otherPartner: PartnerCredentials | null;
  receiver: WebhookReceiver | null;
}

export function useServerWithPartner(options: ServerWithPartnerOptions = {}): ServerWithPartner {
  const { partner: partnerInput = {}, otherPartner: otherInput, webhookReceiver, ...serverOptions } = options;
  let started: Started | null = null;
  let receiver: WebhookReceiver | null = null;
  let server: TestServer | null = null;

  beforeAll(async () => {
    receiver = webhookReceiver ? await startWebhookReceiver() : null;
    server = await startTestServer(serverOptions);
    const webhook = receiver && !('webhook_url' in partnerInput) ? { webhook_url: `${receiver.url}/hooks` } : {};
    const partner = await server.createPartner({ ...webhook, ...partnerInput });
    const otherPartner = otherInput
      ? await server.createPartner({ name: 'Other Partner', ...(otherInput === true ? {} : otherInput) })
      : null;
    started = { server, partner, otherPartner, receiver };
  });
  afterAll(async () => {
    started = null;
    await server?.close();
    await receiver?.close();
  });

  const running = (field: string): Started => {
    if (!started) throw new Error(`useServerWithPartner: ${field} read outside a test or hook (the server starts in beforeAll)`);
    return started;
  };
  const call = (path: string, { token, ...rest }: PartnerRequestOptions = {}) => {
    const { server: current, partner } = running('request');
    return request(`${current.url}${path}`, { ...rest, ...(token === null ? {} : { token: token ?? partner.client_token }) });
  };
  const createSession = (body: unknown = sessionBody(), requestOptions: PartnerRequestOptions = {}) =>
    call('/widget/session', { method: 'POST', ...requestOptions, body });

  return {
    get url() {
      return running('url').server.url;
    },
    get platform() {
      return running('platform').server.platform;
    },
    get clock() {
      return running('clock').server.clock;
    },
    get app() {
      return running('app').server.app;
    },
    get background() {
      return running('background').server.background;
    },
    get signingSecret() {
      return running('signingSecret').server.signingSecret;
    },
    get partner() {
      return running('partner').partner;
    },
    get otherPartner() {
      const { otherPartner } = running('otherPartner');
      if (!otherPartner) throw new Error('useServerWithPartner: pass otherPartner to seed a second partner');
      return otherPartner;
    },
    get receiver() {
      const { receiver: webhooks } = running('receiver');
      if (!webhooks) throw new Error('useServerWithPartner: pass webhookReceiver: true to start a receiver');
      return webhooks;
    },
    createPartner: (overrides) => running('createPartner').server.createPartner(overrides),
    request: call,
    createSession,
    async newSession(overrides = {}, requestOptions = {}) {
      const created = await createSession(sessionBody(overrides), requestOptions);
      if (created.status !== 200) throw new Error(`creating a session: ${created.status} ${JSON.stringify(created.body)}`);
      return created.body.merchant_transaction_id;
    },
    getTransaction: (id, requestOptions) => call(`/widget/transactions/${encodeURIComponent(id)}`, requestOptions),
    getKycStatus: (partnerUserId, requestOptions) => call(`/widget/users/${encodeURIComponent(partnerUserId)}/kyc-status`, requestOptions),
    admin: (path, adminOptions = {}) => call(`/admin${path}`, { ...adminOptions, token: ADMIN_TOKEN }),
    sandboxMove: (id, status, reason) =>
      call(`/admin/sandbox/transactions/${encodeURIComponent(id)}/status`, {
        token: ADMIN_TOKEN,
        body: { status, ...(reason ? { reason } : {}) },
      }),
  };
}
