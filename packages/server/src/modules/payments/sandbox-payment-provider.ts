import { createHmac } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { safeEqual } from '../../lib/crypto.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import { CallbackRejectedError, type CallbackRequest } from '../callbacks/inbound-event.ts';
import type {
  AuthorizeAnswer,
  AuthorizeRequest,
  ChallengeAnswerRequest,
  PaymentProvider,
  PaymentUpdateEvent,
  RefundAnswer,
  RefundRequest,
} from './payment-provider.ts';
import type { PaymentSource } from './payment-source.ts';
import { type DeclineReason, isDeclineReason, isPaymentMethod, type PaymentMethod, type PaymentOutcome } from './payment-vocabulary.ts';

/**
 * The sandbox payment provider: no account, no money, every outcome chosen by a documented test
 * card or token (docs/sandbox.md, "Payments"), and the manners of a real acquirer: it answers
 * `authorize` at once with `pending` or a 3-D Secure challenge, and reports the outcome later as a
 * signed callback to POST {PUBLIC_URL}/providers/sandbox-payments/callbacks.
 *
 * Callbacks are sent SANDBOX_PAYMENT_DELAY after the call that causes them (2 s by default, 0 in
 * tests), one HTTP POST per event with a 5 s timeout, tried 4 times (after 1 s, 5 s and 30 s)
 * before it gives up with a warning; several events of one call go one after the other. They are
 * signed like Stripe's: `proof-sandbox-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "t.<raw body>">`, with a key derived from the platform's signing secret for this purpose only;
 * `verifyCallback` accepts a timestamp within 5 minutes of the clock.
 *
 * It keeps no state: the scenario travels inside the payment id it hands out, and ids and event ids
 * are derived from the platform's reference, so repeating a call (same reference or idempotency
 * key) gives the same ids and events again. Callbacks still waiting when the process stops are lost
 * (a real provider would retry them); the attempt then waits until the session expires.
 */

/** Card numbers and tokens with a fixed outcome. Any future expiry and any 3–4 digit CVC work. */
export const SANDBOX_CARDS = {
  success: '4242424242424242',
  successMastercard: '5555555555554444',
  insufficientFunds: '4000000000009995',
  declined: '4000000000000002',
  challenge: '4000000000003220',
  challengeFails: '4000000000003063',
  timeout: '4000000000000119',
  duplicateCallbacks: '4000000000000259',
  refundedBeforeCapture: '4000000000001976',
} as const;

export const SANDBOX_TOKENS = { success: 'tok_sandbox_success', declined: 'tok_sandbox_declined' } as const;

/** The 3-D Secure code that passes the challenge of SANDBOX_CARDS.challenge; anything else fails it. */
export const SANDBOX_CHALLENGE_CODE = '123456';

export const SANDBOX_SIGNATURE_HEADER = 'proof-sandbox-signature';

/** How far a callback's timestamp may be from the clock (either way) and still be accepted. */
const TOLERANCE_SECONDS = 300;
const SEND_TIMEOUT_MS = 5_000;
const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000, 30_000];

/** One letter per scenario inside the payment id (`sbpay_<method><scenario>_<id>`). */
const SCENARIOS = {
  S: 'success',
  I: 'insufficient_funds',
  D: 'declined',
  C: 'challenge',
  F: 'challenge_fails',
  U: 'duplicate_callbacks',
  R: 'refunded_before_capture',
} as const;
type ScenarioCode = keyof typeof SCENARIOS;
const METHOD_CODES: Record<PaymentMethod, string> = { card: 'c', apple_pay: 'a', google_pay: 'g' };
const PAYMENT_ID = /^sbpay_([cag])([SIDCFUR])_[A-Za-z0-9_-]{16,64}$/;

/** The sandbox vendor's own callback payload (what a vendor adapter's transformers would map). */
interface SandboxCallbackPayload {
  id: string;
  type: 'payment.captured' | 'payment.declined' | 'payment.failed' | 'refund.succeeded';
  created: number;
  data: { payment: string; reference: string; method: PaymentMethod; reason?: string };
}

const OUTCOME_OF_TYPE: Record<SandboxCallbackPayload['type'], PaymentOutcome> = {
  'payment.captured': 'captured',
  'payment.declined': 'declined',
  'payment.failed': 'failed',
  'refund.succeeded': 'refunded',
};

/** One callback on the way out: where, which headers, which bytes. */
export interface OutgoingCallback {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Sends one callback; throws when it was not accepted (no answer, or not 2xx). */
export type CallbackSender = (callback: OutgoingCallback) => Promise<void>;

export interface SandboxPaymentOptions {
  /** Signs and checks callbacks: deriveKey(signingSecret, 'sandbox-payments-callbacks'). */
  signingKey: Buffer;
  /** Where callbacks go, read at send time: `${config.publicUrl}/providers/sandbox-payments/callbacks`. */
  callbackUrl: () => string;
  clock: Clock;
  /** SANDBOX_PAYMENT_DELAY: how long after a call its callbacks are sent. */
  delayMs: number;
  /** Waits before each retry of a callback that was not accepted. */
  retryDelaysMs?: readonly number[];
  /** Replaces the HTTP POST (tests capture callbacks with it); the default posts with fetch. */
  send?: CallbackSender;
  /** Where failed sends are reported (pino-compatible); never given a card detail. */
  logger?: { warn(fields: Record<string, unknown>, message: string): void };
}

export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox-payments';
  private readonly options: SandboxPaymentOptions;
  private readonly send: CallbackSender;
  private readonly pending = new Set<Promise<void>>();
  private readonly stopped = new AbortController();

  constructor(options: SandboxPaymentOptions) {
    this.options = options;
    this.send = options.send ?? postCallback;
  }

  async authorize({ reference, amountMinor, currency, source }: AuthorizeRequest): Promise<AuthorizeAnswer> {
    this.checkAmount(amountMinor, currency);
    const scenario = scenarioOf(source);
    if (scenario === 'timeout') {
      throw new ProviderError({ provider: this.name, kind: 'unavailable', message: 'the sandbox acquirer timed out (test card)' });
    }
    if (scenario === 'not_supported' || scenario === 'invalid_token') {
      const reason: DeclineReason = scenario === 'not_supported' ? 'card_not_supported' : 'invalid_token';
      return { status: 'declined', providerPaymentId: this.paymentId(reference, source.method, 'D'), reason };
    }
    const providerPaymentId = this.paymentId(reference, source.method, scenario);
    const event = (type: SandboxCallbackPayload['type'], reason?: string) => this.event(providerPaymentId, reference, type, reason);
    switch (scenario) {
      case 'C':
      case 'F':
        return {
          status: 'requires_action',
          providerPaymentId,
          challenge: { kind: 'three_ds', prompt: `Enter the code your bank sent you (sandbox: ${SANDBOX_CHALLENGE_CODE}).` },
        };
      case 'S':
        this.schedule([event('payment.captured')]);
        break;
      case 'U':
        this.schedule([event('payment.captured')], { twice: true });
        break;
      case 'I':
        this.schedule([event('payment.declined', 'insufficient_funds')]);
        break;
      case 'D':
        this.schedule([event('payment.declined', 'card_declined')]);
        break;
      case 'R':
        // The vendor captured and at once reversed the payment, and its callbacks overtake each other.
        this.schedule([event('refund.succeeded', 'reversed_by_provider'), event('payment.captured')]);
        break;
    }
    return { status: 'pending', providerPaymentId };
  }

  async answerChallenge({ providerPaymentId, reference, answer }: ChallengeAnswerRequest): Promise<{ status: 'pending' }> {
    const { scenario, method } = this.decode(providerPaymentId);
    if (scenario !== 'C' && scenario !== 'F') {
      throw new ProviderError({ provider: this.name, kind: 'rejected', message: 'the payment is not waiting for a challenge' });
    }
    const passed = scenario === 'C' && answer === SANDBOX_CHALLENGE_CODE;
    const type = passed ? 'payment.captured' : 'payment.failed';
    this.schedule([this.event(providerPaymentId, reference, type, passed ? undefined : 'three_ds_failed', method)]);
    return { status: 'pending' };
  }

  async refund({ providerPaymentId, reference, idempotencyKey, amountMinor, currency, reason }: RefundRequest): Promise<RefundAnswer> {
    this.checkAmount(amountMinor, currency);
    const { scenario, method } = this.decode(providerPaymentId);
    if (scenario === 'I' || scenario === 'D' || scenario === 'F') {
      throw new ProviderError({ provider: this.name, kind: 'rejected', message: 'the payment was never captured' });
    }
    const providerRefundId = `sbref_${this.digest(`refund:${idempotencyKey}`)}`;
    const payload: SandboxCallbackPayload = {
      id: `sbevt_${this.digest(`event:${providerRefundId}`)}`,
      type: 'refund.succeeded',
      created: 0,
      data: { payment: providerPaymentId, reference, method, reason },
    };
    this.schedule([payload], { twice: scenario === 'U' });
    return { providerRefundId, status: 'pending' };
  }

  verifyCallback({ rawBody, headers }: CallbackRequest): PaymentUpdateEvent {
    const header = headers[SANDBOX_SIGNATURE_HEADER];
    if (!header) throw new CallbackRejectedError(`no ${SANDBOX_SIGNATURE_HEADER} header`);
    let timestamp: string | undefined;
    const signatures: string[] = [];
    for (const part of header.split(',')) {
      const [key, value = ''] = part.trim().split('=', 2);
      if (key === 't') timestamp = value;
      else if (key === 'v1') signatures.push(value);
    }
    if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
      throw new CallbackRejectedError(`${SANDBOX_SIGNATURE_HEADER} must be "t=<unix seconds>,v1=<hex>"`);
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
    return toPaymentUpdate(payload);
  }

  /** Resolves once every callback scheduled so far has been sent or given up on (tests wait with it). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Drops the callbacks not sent yet (a real provider would still send them); for stopping tests. */
  close(): void {
    this.stopped.abort();
  }

  private checkAmount(amountMinor: bigint, currency: string): void {
    if (typeof amountMinor !== 'bigint' || amountMinor <= 0n || !/^[A-Z]{3}$/.test(currency)) {
      throw new ProviderError({
        provider: this.name,
        kind: 'rejected',
        message: 'the amount must be positive minor units of an ISO 4217 currency',
      });
    }
  }

  private paymentId(reference: string, method: PaymentMethod, scenario: ScenarioCode): string {
    return `sbpay_${METHOD_CODES[method]}${scenario}_${this.digest(`payment:${reference}`)}`;
  }

  private decode(providerPaymentId: string): { scenario: ScenarioCode; method: PaymentMethod } {
    const match = PAYMENT_ID.exec(providerPaymentId);
    if (!match) throw new ProviderError({ provider: this.name, kind: 'rejected', message: 'no such sandbox payment' });
    const method = (Object.keys(METHOD_CODES) as PaymentMethod[]).find((key) => METHOD_CODES[key] === match[1])!;
    return { scenario: match[2] as ScenarioCode, method };
  }

  private event(
    providerPaymentId: string,
    reference: string,
    type: SandboxCallbackPayload['type'],
    reason?: string,
    method: PaymentMethod = this.decode(providerPaymentId).method,
  ): SandboxCallbackPayload {
    return {
      id: `sbevt_${this.digest(`event:${providerPaymentId}:${type}`)}`,
      type,
      created: 0,
      data: { payment: providerPaymentId, reference, method, ...(reason ? { reason } : {}) },
    };
  }

  /** 24 base64url characters of an HMAC under the signing key: stable for one input, unguessable otherwise. */
  private digest(input: string): string {
    return createHmac('sha256', this.options.signingKey).update(input).digest('base64url').slice(0, 24);
  }

  /** Sends the events in order after the configured delay; `twice` sends each one a second time (same id). */
  private schedule(events: SandboxCallbackPayload[], { twice = false } = {}): void {
    const queue = twice ? events.flatMap((event) => [event, event]) : events;
    const run = (async () => {
      await this.wait(this.options.delayMs);
      for (const event of queue) {
        if (this.stopped.signal.aborted) return;
        await this.deliver(event);
      }
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private async deliver(event: SandboxCallbackPayload): Promise<void> {
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    for (let attempt = 0; !this.stopped.signal.aborted; attempt++) {
      const created = Math.floor(this.options.clock.now().getTime() / 1000);
      const body = JSON.stringify({ ...event, created });
      try {
        await this.send({
          url: this.options.callbackUrl(),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'ProofRamp-SandboxPayments/1',
            [SANDBOX_SIGNATURE_HEADER]: signSandboxPaymentCallback(this.options.signingKey, created, body),
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
            error: describe(error),
          },
          retryIn === undefined
            ? 'sandbox payment callback given up: its outcome never arrives'
            : 'sandbox payment callback failed; retrying',
        );
        if (retryIn === undefined) return;
        await this.wait(retryIn);
      }
    }
  }

  /** Waits `ms`, or less when the adapter is closed. The timer does not keep the process alive. */
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
export function signSandboxPaymentCallback(signingKey: Buffer, timestamp: number, body: string | Buffer): string {
  return `t=${timestamp},v1=${hmacHex(signingKey, String(timestamp), typeof body === 'string' ? Buffer.from(body) : body)}`;
}

function hmacHex(signingKey: Buffer, timestamp: string, body: Buffer): string {
  return createHmac('sha256', signingKey).update(`${timestamp}.`).update(body).digest('hex');
}

/** Which scenario a source picks; cards and tokens outside the tables are declined at once. */
function scenarioOf(source: PaymentSource): ScenarioCode | 'timeout' | 'not_supported' | 'invalid_token' {
  if (source.method !== 'card') {
    if (source.token === SANDBOX_TOKENS.success) return 'S';
    if (source.token === SANDBOX_TOKENS.declined) return 'D';
    return 'invalid_token';
  }
  switch (source.card.number) {
    case SANDBOX_CARDS.success:
    case SANDBOX_CARDS.successMastercard:
      return 'S';
    case SANDBOX_CARDS.insufficientFunds:
      return 'I';
    case SANDBOX_CARDS.declined:
      return 'D';
    case SANDBOX_CARDS.challenge:
      return 'C';
    case SANDBOX_CARDS.challengeFails:
      return 'F';
    case SANDBOX_CARDS.timeout:
      return 'timeout';
    case SANDBOX_CARDS.duplicateCallbacks:
      return 'U';
    case SANDBOX_CARDS.refundedBeforeCapture:
      return 'R';
    default:
      return 'not_supported';
  }
}

/** The sandbox's payload in the platform's words; anything else is refused. */
function toPaymentUpdate(payload: unknown): PaymentUpdateEvent {
  const body = payload as Partial<SandboxCallbackPayload> | null;
  const data = body?.data;
  const outcome = body && typeof body.type === 'string' ? OUTCOME_OF_TYPE[body.type] : undefined;
  if (!body || typeof body.id !== 'string' || !/^sbevt_[A-Za-z0-9_-]{8,64}$/.test(body.id)) throw new CallbackRejectedError('no event id');
  if (!outcome) throw new CallbackRejectedError('unknown event type');
  if (!data || typeof data.payment !== 'string' || !PAYMENT_ID.test(data.payment)) throw new CallbackRejectedError('no payment id');
  if (typeof data.reference !== 'string' || data.reference.length === 0 || data.reference.length > 64) {
    throw new CallbackRejectedError('no reference');
  }
  if (!isPaymentMethod(data.method)) throw new CallbackRejectedError('unknown payment method');
  const event: PaymentUpdateEvent = {
    kind: 'payment.update',
    eventId: body.id,
    providerPaymentId: data.payment,
    outcome,
    paymentMethod: data.method,
    reference: data.reference,
  };
  if (typeof data.reason === 'string' && data.reason.length > 0) {
    // Declines carry one of the platform's reasons; a refund's reason is free text (the caller's own).
    if (outcome === 'declined' || outcome === 'failed') {
      event.reason = isDeclineReason(data.reason) ? data.reason : outcome === 'declined' ? 'card_declined' : 'processing_error';
    } else {
      event.reason = data.reason.slice(0, 100);
    }
  } else if (outcome === 'declined') event.reason = 'card_declined';
  else if (outcome === 'failed') event.reason = 'processing_error';
  return event;
}

async function postCallback({ url, headers, body }: OutgoingCallback): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  await response.body?.cancel();
  if (response.status < 200 || response.status >= 300) throw new Error(`answered ${response.status}`);
}

function describe(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string } };
  if (err.name === 'TimeoutError') return 'timeout';
  return `${err.cause?.code ?? err.name ?? 'error'}: ${err.message ?? String(error)}`.slice(0, 200);
}
