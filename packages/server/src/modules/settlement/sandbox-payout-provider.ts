import { createHmac } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { safeEqual } from '../../lib/crypto.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import { CallbackRejectedError, type CallbackRequest } from '../callbacks/inbound-event.ts';
import { describeCard } from '../payments/payment-source.ts';
import { isPayoutDeclineReason, type PayoutDeclineReason, type PayoutOutcome } from './off-ramp-vocabulary.ts';
import type {
  PayoutAnswer,
  PayoutCardDetails,
  PayoutProvider,
  PayoutRequest,
  PayoutUpdateEvent,
  TokenizedCard,
} from './payout-provider.ts';

/**
 * The sandbox payout provider: no account, no money, every outcome chosen by a documented test card
 * (docs/sandbox.md, "Payouts"), with the manners of a real push-to-card rail: `payout` answers at once
 * (`pending`, or declined on the spot for a card it does not serve) and reports the outcome
 * SANDBOX_PAYOUT_DELAY later (2 s by default, 0 in tests) as a signed callback to
 * POST {PUBLIC_URL}/providers/sandbox-payouts/callbacks.
 *
 * Callbacks are signed like the payment sandbox's (`proof-sandbox-signature: t=<unix seconds>,
 * v1=<hex HMAC-SHA256 of "t.<raw body>">`) under a key derived for this purpose only; accepted
 * within 5 minutes of the clock; one HTTP POST per event with a 5 s timeout, tried 4 times (after
 * 1 s, 5 s and 30 s). Stateless: the card's scenario travels inside its token, and payout and event
 * ids are derived from the platform's reference, so a repeated payout gives the same ids again.
 */

/** Payout test cards; any future expiry and any holder name work. */
export const SANDBOX_PAYOUT_CARDS = {
  paid: '4242424242424242',
  paidMastercard: '5555555555554444',
  declined: '4000000000000002',
  limitExceeded: '4000000000009995',
  duplicateCallbacks: '4000000000000259',
} as const;

export const SANDBOX_PAYOUT_SIGNATURE_HEADER = 'proof-sandbox-signature';

const TOLERANCE_SECONDS = 300;
const SEND_TIMEOUT_MS = 5_000;
const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000, 30_000];

/** One letter per scenario, inside the card token (`sbcard_<scenario>_…`) and the payout id (`sbpo_<scenario>_…`). */
const SCENARIOS = { P: 'paid', D: 'declined', L: 'limit_exceeded', U: 'duplicate_callbacks', N: 'not_supported' } as const;
type ScenarioCode = keyof typeof SCENARIOS;
const CARD_TOKEN = /^sbcard_([PDLUN])_[A-Za-z0-9_-]{16,64}$/;
const PAYOUT_ID = /^sbpo_([PDLUN])_[A-Za-z0-9_-]{16,64}$/;

interface SandboxPayoutPayload {
  id: string;
  type: 'payout.paid' | 'payout.declined';
  created: number;
  data: { payout: string; reference: string; reason?: string };
}

const OUTCOME_OF_TYPE: Record<SandboxPayoutPayload['type'], PayoutOutcome> = { 'payout.paid': 'paid', 'payout.declined': 'declined' };

export interface OutgoingPayoutCallback {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SandboxPayoutOptions {
  /** Signs and checks callbacks: deriveKey(signingSecret, 'sandbox-payouts-callbacks'). */
  signingKey: Buffer;
  /** Where callbacks go, read at send time: `${config.publicUrl}/providers/sandbox-payouts/callbacks`. */
  callbackUrl: () => string;
  clock: Clock;
  /** SANDBOX_PAYOUT_DELAY. */
  delayMs: number;
  retryDelaysMs?: readonly number[];
  /** Replaces the HTTP POST (tests capture callbacks with it). */
  send?: (callback: OutgoingPayoutCallback) => Promise<void>;
  /** Where failed sends are reported; never given a card detail. */
  logger?: { warn(fields: Record<string, unknown>, message: string): void };
}

export class SandboxPayoutProvider implements PayoutProvider {
  readonly name = 'sandbox-payouts';
  private readonly options: SandboxPayoutOptions;
  private readonly send: (callback: OutgoingPayoutCallback) => Promise<void>;
  private readonly pending = new Set<Promise<void>>();
  private readonly stopped = new AbortController();

  constructor(options: SandboxPayoutOptions) {
    this.options = options;
    this.send = options.send ?? postCallback;
  }

  async tokenizeCard({ card }: { card: PayoutCardDetails }): Promise<TokenizedCard> {
    const { brand, last4 } = describeCard(card.number);
    return {
      token: `sbcard_${scenarioOf(card.number)}_${this.digest(`card:${card.number}:${card.expiry_month}/${card.expiry_year}`)}`,
      brand,
      last4,
    };
  }

  async payout({ reference, cardToken, amountMinor, currency }: PayoutRequest): Promise<PayoutAnswer> {
    if (typeof amountMinor !== 'bigint' || amountMinor <= 0n || !/^[A-Z]{3}$/.test(currency)) {
      throw new ProviderError({
        provider: this.name,
        kind: 'rejected',
        message: 'the amount must be positive minor units of an ISO 4217 currency',
      });
    }
    const match = CARD_TOKEN.exec(cardToken);
    if (!match) throw new ProviderError({ provider: this.name, kind: 'rejected', message: 'no such sandbox card' });
    const scenario = match[1] as ScenarioCode;
    const providerPayoutId = `sbpo_${scenario}_${this.digest(`payout:${reference}`)}`;
    const event = (type: SandboxPayoutPayload['type'], reason?: PayoutDeclineReason): SandboxPayoutPayload => ({
      id: `sbpoevt_${this.digest(`event:${providerPayoutId}:${type}`)}`,
      type,
      created: 0,
      data: { payout: providerPayoutId, reference, ...(reason ? { reason } : {}) },
    });
    switch (scenario) {
      case 'N':
        return { status: 'declined', providerPayoutId, reason: 'card_not_supported' };
      case 'P':
        this.schedule([event('payout.paid')]);
        break;
      case 'U':
        this.schedule([event('payout.paid'), event('payout.paid')]);
        break;
      case 'D':
        this.schedule([event('payout.declined', 'card_declined')]);
        break;
      case 'L':
        this.schedule([event('payout.declined', 'limit_exceeded')]);
        break;
    }
    return { status: 'pending', providerPayoutId };
  }

  verifyCallback({ rawBody, headers }: CallbackRequest): PayoutUpdateEvent {
    const header = headers[SANDBOX_PAYOUT_SIGNATURE_HEADER];
    if (!header) throw new CallbackRejectedError(`no ${SANDBOX_PAYOUT_SIGNATURE_HEADER} header`);
    let timestamp: string | undefined;
    const signatures: string[] = [];
    for (const part of header.split(',')) {
      const [key, value = ''] = part.trim().split('=', 2);
      if (key === 't') timestamp = value;
      else if (key === 'v1') signatures.push(value);
    }
    if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
      throw new CallbackRejectedError(`${SANDBOX_PAYOUT_SIGNATURE_HEADER} must be "t=<unix seconds>,v1=<hex>"`);
    }
    const expected = hmacHex(this.options.signingKey, timestamp, rawBody);
    if (!signatures.some((signature) => safeEqual(signature, expected))) throw new CallbackRejectedError('the signature does not match');
    const age = Math.floor(this.options.clock.now().getTime() / 1000) - Number(timestamp);
    if (Math.abs(age) > TOLERANCE_SECONDS) throw new CallbackRejectedError('the timestamp is more than 5 minutes from now');
    let payload: unknown;
    try {
      payload = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new CallbackRejectedError('the body is not JSON');
    }
    return toPayoutUpdate(payload);
  }

  /** Resolves once every callback scheduled so far has been sent or given up on (tests wait with it). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Drops the callbacks not sent yet; for stopping tests. */
  close(): void {
    this.stopped.abort();
  }

  private digest(input: string): string {
    return createHmac('sha256', this.options.signingKey).update(input).digest('base64url').slice(0, 24);
  }

  private schedule(events: SandboxPayoutPayload[]): void {
    const run = (async () => {
      await this.wait(this.options.delayMs);
      for (const event of events) {
        if (this.stopped.signal.aborted) return;
        await this.deliver(event);
      }
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private async deliver(event: SandboxPayoutPayload): Promise<void> {
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    for (let attempt = 0; !this.stopped.signal.aborted; attempt++) {
      const created = Math.floor(this.options.clock.now().getTime() / 1000);
      const body = JSON.stringify({ ...event, created });
      try {
        await this.send({
          url: this.options.callbackUrl(),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'ProofRamp-SandboxPayouts/1',
            [SANDBOX_PAYOUT_SIGNATURE_HEADER]: signSandboxPayoutCallback(this.options.signingKey, created, body),
          },
          body,
        });
        return;
      } catch (error) {
        const retryIn = delays[attempt];
        this.options.logger?.warn(
          {
            provider: this.name,
            eventId: event.id,
            type: event.type,
            attempt: attempt + 1,
            retryInMs: retryIn ?? null,
            error: String(error).slice(0, 200),
          },
          retryIn === undefined
            ? 'sandbox payout callback given up: its outcome never arrives'
            : 'sandbox payout callback failed; retrying',
        );
        if (retryIn === undefined) return;
        await this.wait(retryIn);
      }
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.stopped.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.stopped.signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.<body>">`. */
export function signSandboxPayoutCallback(signingKey: Buffer, timestamp: number, body: string | Buffer): string {
  return `t=${timestamp},v1=${hmacHex(signingKey, String(timestamp), typeof body === 'string' ? Buffer.from(body) : body)}`;
}

function hmacHex(signingKey: Buffer, timestamp: string, body: Buffer): string {
  return createHmac('sha256', signingKey).update(`${timestamp}.`).update(body).digest('hex');
}

function scenarioOf(number: string): ScenarioCode {
  switch (number) {
    case SANDBOX_PAYOUT_CARDS.paid:
    case SANDBOX_PAYOUT_CARDS.paidMastercard:
      return 'P';
    case SANDBOX_PAYOUT_CARDS.declined:
      return 'D';
    case SANDBOX_PAYOUT_CARDS.limitExceeded:
      return 'L';
    case SANDBOX_PAYOUT_CARDS.duplicateCallbacks:
      return 'U';
    default:
      return 'N';
  }
}

function toPayoutUpdate(payload: unknown): PayoutUpdateEvent {
  const body = payload as Partial<SandboxPayoutPayload> | null;
  const data = body?.data;
  const outcome = body && typeof body.type === 'string' ? OUTCOME_OF_TYPE[body.type] : undefined;
  if (!body || typeof body.id !== 'string' || !/^sbpoevt_[A-Za-z0-9_-]{8,64}$/.test(body.id))
    throw new CallbackRejectedError('no event id');
  if (!outcome) throw new CallbackRejectedError('unknown event type');
  if (!data || typeof data.payout !== 'string' || !PAYOUT_ID.test(data.payout)) throw new CallbackRejectedError('no payout id');
  if (typeof data.reference !== 'string' || data.reference.length === 0 || data.reference.length > 64) {
    throw new CallbackRejectedError('no reference');
  }
  const event: PayoutUpdateEvent = {
    kind: 'payout.update',
    eventId: body.id,
    providerPayoutId: data.payout,
    outcome,
    reference: data.reference,
  };
  if (outcome === 'declined') event.reason = isPayoutDeclineReason(data.reason) ? data.reason : 'card_declined';
  return event;
}

async function postCallback({ url, headers, body }: OutgoingPayoutCallback): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  await response.body?.cancel();
  if (response.status < 200 || response.status >= 300) throw new Error(`answered ${response.status}`);
}
