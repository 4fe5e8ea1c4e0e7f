import type { Network } from '../../src/lib/catalog.ts';
import { startPayment } from '../../src/modules/payments/payment-service.ts';
import { SANDBOX_CARDS } from '../../src/modules/payments/sandbox-payment-provider.ts';
import type { ChainAdapter } from '../../src/modules/settlement/chain-adapter.ts';
import { ChainRegistry } from '../../src/modules/settlement/chain-registry.ts';
import { card as embedCard, FILES, openBody } from './embed-kit.ts';
import { card, settle } from './payments-kit.ts';
import { waitUntil } from './proof-child.ts';
import { request, sessionBody } from './test-platform.ts';
import type { ServerWithPartner } from './use-server-with-partner.ts';

/** What the buy settlement tests share: a paid buy, its transfer as stored, the chain moved on. */

/** Sandbox payments that call back at once, sandbox operator calls; the settlement worker is drained by the tests. */
export const SETTLEMENT_ENV = {
  SANDBOX_PAYMENT_DELAY: '0',
  SANDBOX_TOOLS: 'true',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  SANDBOX_BLOCK_TIME: '10s',
  SETTLEMENT_POLL_INTERVAL: '2s',
  SETTLEMENT_RETRY: '1m',
};

export interface PaidBuy {
  partnerId: string;
  merchantTransactionId: string;
  /** The platform's transaction id. */
  id: string;
}

/** A buy paid by card through the sandbox's real callbacks: processing, with its transfer queued. */
export async function payBuy(server: ServerWithPartner, overrides: Record<string, unknown> = {}): Promise<PaidBuy> {
  const merchantTransactionId = await server.newSession(overrides);
  const who = { partnerId: server.partner.partner_id, merchantTransactionId };
  await startPayment(server.platform, { ...who, source: card(SANDBOX_CARDS.success) });
  await settle(server);
  const { id } = await server.platform.db
    .selectFrom('transactions')
    .select('id')
    .where('partner_id', '=', who.partnerId)
    .where('merchant_transaction_id', '=', merchantTransactionId)
    .executeTakeFirstOrThrow();
  return { ...who, id };
}

/** The transfers of a transaction as stored (one, if the rule holds). */
export async function transfersOf(server: Pick<ServerWithPartner, 'platform'>, transactionId: string) {
  return server.platform.db.selectFrom('transfer_intents').selectAll().where('transaction_id', '=', transactionId).execute();
}

export async function transferOf(server: Pick<ServerWithPartner, 'platform'>, transactionId: string) {
  const [transfer, ...more] = await transfersOf(server, transactionId);
  if (!transfer || more.length > 0) throw new Error(`expected one transfer of ${transactionId}, found ${more.length + (transfer ? 1 : 0)}`);
  return transfer;
}

/** Lets the settlement worker do everything that is due now. */
export async function settleTransfers(server: ServerWithPartner): Promise<void> {
  await server.background!.settlement.drain();
}

/** Moves the platform clock (the sandbox chain makes a block per SANDBOX_BLOCK_TIME of it) and lets the worker catch up. */
export async function passTime(server: ServerWithPartner, ms: number): Promise<void> {
  server.clock.advance(ms);
  await settleTransfers(server);
}

/** The status history (with reasons and each message's tx_hash) of a transaction. */
export async function statusHistory(server: Pick<ServerWithPartner, 'platform'>, transactionId: string) {
  const events = await server.platform.db
    .selectFrom('transaction_events')
    .select(['status', 'reason', 'message'])
    .where('transaction_id', '=', transactionId)
    .orderBy('seq')
    .execute();
  return events.map((event) => ({
    status: event.status,
    reason: event.reason,
    tx_hash: (event.message as { tx_hash?: string }).tx_hash ?? null,
  }));
}

/**
 * Replaces the chain of `network` with `wrap(current)` (the same confirmation depth): tests put a
 * decorator around the real adapter to make a process "die" at a chosen moment, or swap in a fake.
 */
export function replaceChain(
  server: Pick<ServerWithPartner, 'platform'>,
  network: Network,
  make: (current: ChainAdapter | null) => ChainAdapter,
  confirmations?: number,
): void {
  const chains = server.platform.providers.chains;
  const current = chains.networks.includes(network) ? chains.chainFor(network) : null;
  const depth = confirmations ?? (current ? chains.confirmationsFor(network) : 1);
  const adapters: Partial<Record<Network, ChainAdapter>> = {};
  const depths: Partial<Record<Network, number>> = {};
  for (const other of chains.networks) {
    adapters[other] = chains.chainFor(other);
    depths[other] = chains.confirmationsFor(other);
  }
  adapters[network] = make(current);
  depths[network] = depth;
  server.platform.providers.chains = new ChainRegistry({ adapters, confirmations: depths });
}

/** A promise that never settles: a process that stops in the middle of a call. */
export const never = () => new Promise<never>(() => {});

/**
 * A buy paid the way a user pays, over HTTP against any running node (a `proof serve` child): the
 * partner creates the session, the widget opens it, verifies the user's identity when asked
 * (sandbox KYC: "Lovelace" is verified), and pays with a sandbox card. Resolves once the payment is
 * under way; the capture arrives by the sandbox's callback.
 */
export async function payOverHttp(
  baseUrl: string,
  clientToken: string,
  overrides: Record<string, unknown> = {},
): Promise<{ merchantTransactionId: string }> {
  const created = await request(`${baseUrl}/widget/session`, { token: clientToken, body: sessionBody(overrides) });
  if (created.status !== 200) throw new Error(`creating a session: ${created.status} ${JSON.stringify(created.body)}`);
  const opened = await request(`${baseUrl}/embed/v1/sessions/open`, { body: openBody(created.body) });
  if (opened.status !== 200) throw new Error(`opening the widget: ${opened.status} ${JSON.stringify(opened.body)}`);
  const call = (path: string, options: Parameters<typeof request>[1] = {}) =>
    request(`${baseUrl}/embed/v1${path}`, { token: opened.body.credential, ...options });
  if (opened.body.state.next_step === 'verification') {
    for (const side of ['front', 'selfie']) {
      await call(`/kyc/documents/${side}`, { method: 'PUT', rawBody: FILES.jpeg(), headers: { 'content-type': 'image/jpeg' } });
    }
    await call('/kyc/submit', { body: { document_type: 'passport', first_name: 'Ada', last_name: 'Lovelace' } });
    await waitUntil(
      async () => (await call('/session')).body.next_step === 'payment',
      30_000,
      () => 'identity verification',
    );
  }
  const paid = await call('/payments', { body: embedCard(SANDBOX_CARDS.success) });
  if (paid.status !== 200) throw new Error(`paying: ${paid.status} ${JSON.stringify(paid.body)}`);
  return { merchantTransactionId: created.body.merchant_transaction_id };
}
