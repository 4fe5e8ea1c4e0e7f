import { createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.ts';
import { safeEqual } from '../../lib/crypto.ts';
import { randomBase62 } from '../../lib/ids.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import { CallbackRejectedError, type CallbackRequest } from '../callbacks/inbound-event.ts';
import { requiredSides } from './document-types.ts';
import { isReasonCode, KYC_DECISION, type KycDecisionEvent, type KycOutcome } from './kyc-decision.ts';
import type { KycProvider, KycSubmission, KycSubmitted } from './kyc-provider.ts';

/**
 * The sandbox identity verifier: accepts every complete submission and decides it later through a
 * signed callback, as a real provider does, after SANDBOX_KYC_DELAY (3 s by default; tests use 0).
 * The outcome is chosen by the last name on the submission (any case; docs/sandbox.md):
 *
 * | last name      | what happens                                                                    |
 * | -------------- | ------------------------------------------------------------------------------- |
 * | anything else  | `verified`                                                                      |
 * | `REJECT`       | `rejected`, reason `document_expired`                                           |
 * | `RESUBMIT`     | `resubmit`, reason `blurry_image`                                               |
 * | `REVIEW`       | `in_review`, and no final decision ever                                         |
 * | `DUPLICATE`    | `verified`, the same callback (same event id) sent twice                        |
 * | `OUT_OF_ORDER` | `verified`, then an older `in_review` event delivered after it                  |
 * | `TIMEOUT`      | `submit` fails with ProviderError `unavailable` (502 `upstream_unavailable`)    |
 *
 * Callbacks are POSTed as JSON to `callbackUrl()` with
 * `proof-sandbox-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed by a
 * key derived from the signing secret for this purpose only. A receiver accepts a timestamp within
 * 5 minutes of its clock. Each try has a 3 s timeout; a failed try is retried after 1 s and 5 s,
 * then given up with a warning (no decision arrives: the identity stays pending). Pending decisions
 * live in this process's memory, as they would at a real provider's: a restart forgets them.
 */
export const SANDBOX_KYC_TEST_VALUES = ['REJECT', 'RESUBMIT', 'REVIEW', 'DUPLICATE', 'OUT_OF_ORDER', 'TIMEOUT'] as const;

export const SANDBOX_KYC_SIGNATURE_HEADER = 'proof-sandbox-signature';

/** How far a callback's timestamp may be from the receiver's clock, either way. */
export const SANDBOX_KYC_TOLERANCE_S = 300;

export interface SandboxKycOptions {
  /** The HMAC key of callbacks (deriveKey(signingSecret, 'sandbox-kyc-callbacks')). */
  signingKey: Buffer;
  /** Where callbacks go: `${PUBLIC_URL}/providers/sandbox-kyc/callbacks`, read at send time. */
  callbackUrl: () => string;
  clock: Clock;
  /** How long the sandbox "thinks" before calling back. */
  delayMs: number;
  logger?: Pick<Logger, 'warn' | 'debug'>;
  /** Per-try timeout of a callback. */
  timeoutMs?: number;
  /** Waits before the second, third … try; the number of retries is its length. */
  retryDelaysMs?: readonly number[];
}

/** The vendor's own words for its decisions, as a real API has them; `toKycOutcome` maps them. */
type SandboxDecision = 'approved' | 'declined' | 'resubmission_requested' | 'review';

interface SandboxCallbackBody {
  id: string;
  type: 'verification.updated';
  created_at: string;
  verification: { id: string; reference: string; decision: SandboxDecision; reason: string | null };
}

interface PlannedEvent {
  decision: SandboxDecision;
  reason: string | null;
  /** How much earlier than the decision this event says it happened (out-of-order delivery). */
  backdateMs?: number;
}

type Plan = { kind: 'timeout' } | { kind: 'callbacks'; events: PlannedEvent[]; sendTwice: boolean };

/** What the sandbox does for a submission, from its documented test values. Pure. */
export function sandboxKycPlan(lastName: string): Plan {
  switch (lastName.trim().toUpperCase()) {
    case 'TIMEOUT':
      return { kind: 'timeout' };
    case 'REJECT':
      return { kind: 'callbacks', events: [{ decision: 'declined', reason: 'document_expired' }], sendTwice: false };
    case 'RESUBMIT':
      return { kind: 'callbacks', events: [{ decision: 'resubmission_requested', reason: 'blurry_image' }], sendTwice: false };
    case 'REVIEW':
      return { kind: 'callbacks', events: [{ decision: 'review', reason: null }], sendTwice: false };
    case 'DUPLICATE':
      return { kind: 'callbacks', events: [{ decision: 'approved', reason: null }], sendTwice: true };
    case 'OUT_OF_ORDER':
      return {
        kind: 'callbacks',
        events: [
          { decision: 'approved', reason: null },
          { decision: 'review', reason: null, backdateMs: 1000 },
        ],
        sendTwice: false,
      };
    default:
      return { kind: 'callbacks', events: [{ decision: 'approved', reason: null }], sendTwice: false };
  }
}

const OUTCOMES: Record<SandboxDecision, KycOutcome> = {
  approved: 'verified',
  declined: 'rejected',
  resubmission_requested: 'resubmit',
  review: 'in_review',
};

/** The vendor decision as the platform's closed vocabulary; undefined for a word it does not know. */
export function toKycOutcome(decision: unknown): KycOutcome | undefined {
  return typeof decision === 'string' && Object.hasOwn(OUTCOMES, decision) ? OUTCOMES[decision as SandboxDecision] : undefined;
}

export function signSandboxKycCallback(key: Buffer, timestamp: number, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', key).update(`${timestamp}.`).update(rawBody).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

const SUBMISSIONS_REMEMBERED = 10_000;

export class SandboxKycProvider implements KycProvider {
  readonly name = 'sandbox-kyc';
  private readonly options: Required<Omit<SandboxKycOptions, 'logger'>> & Pick<SandboxKycOptions, 'logger'>;
  /** verificationId → provider id: a repeated submit is answered alike and decided once. */
  private readonly submitted = new LRUCache<string, string>({ max: SUBMISSIONS_REMEMBERED });
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: SandboxKycOptions) {
    this.options = { timeoutMs: 3_000, retryDelaysMs: [1_000, 5_000], ...options };
  }

  async submit({ verificationId, documentType, documents, person }: KycSubmission): Promise<KycSubmitted> {
    const known = this.submitted.get(verificationId);
    if (known) return { providerVerificationId: known, status: 'pending' };
    const plan = sandboxKycPlan(person.last_name);
    if (plan.kind === 'timeout') {
      throw new ProviderError({
        provider: this.name,
        kind: 'unavailable',
        message: 'sandbox-kyc did not answer in time (test value TIMEOUT)',
      });
    }
    const sides = documents.map((document) => document.side).sort();
    const needed = [...requiredSides(documentType)].sort();
    if (sides.join() !== needed.join() || documents.some((document) => document.bytes.length === 0)) {
      throw new ProviderError({
        provider: this.name,
        kind: 'rejected',
        message: `a ${documentType} submission needs exactly ${needed.join(', ')}, each non-empty`,
      });
    }
    if (person.first_name.trim() === '' || person.last_name.trim() === '') {
      throw new ProviderError({ provider: this.name, kind: 'rejected', message: 'the first and last name are required' });
    }
    const providerVerificationId = `skv_${randomBase62(20)}`;
    this.submitted.set(verificationId, providerVerificationId);
    this.track(this.decideLater({ providerVerificationId, reference: verificationId, plan }));
    return { providerVerificationId, status: 'pending' };
  }

  verifyCallback({ rawBody, headers }: CallbackRequest): KycDecisionEvent {
    const header = headers[SANDBOX_KYC_SIGNATURE_HEADER];
    const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? '');
    if (!match) throw new CallbackRejectedError(`missing or malformed ${SANDBOX_KYC_SIGNATURE_HEADER} header`);
    const timestamp = Number(match[1]);
    const expected = signSandboxKycCallback(this.options.signingKey, timestamp, rawBody);
    if (!safeEqual(expected, header!)) throw new CallbackRejectedError('the signature does not match');
    const skew = Math.abs(this.options.clock.now().getTime() / 1000 - timestamp);
    if (skew > SANDBOX_KYC_TOLERANCE_S)
      throw new CallbackRejectedError(`the timestamp is ${Math.round(skew)} s from now (at most ${SANDBOX_KYC_TOLERANCE_S} s)`);
    return this.toEvent(parseBody(rawBody));
  }

  /** Resolves once every decision scheduled so far has been delivered or given up (tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private toEvent(body: SandboxCallbackBody): KycDecisionEvent {
    const { verification } = body;
    const outcome = toKycOutcome(verification.decision)!;
    return {
      kind: KYC_DECISION,
      eventId: body.id,
      provider: this.name,
      providerVerificationId: verification.id,
      verificationId: verification.reference,
      outcome,
      ...(verification.reason !== null && outcome !== 'verified' && outcome !== 'in_review' ? { reason: verification.reason } : {}),
      occurredAt: new Date(body.created_at).toISOString(),
    };
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async decideLater(options: { providerVerificationId: string; reference: string; plan: Extract<Plan, { kind: 'callbacks' }> }) {
    await sleep(this.options.delayMs);
    const decidedAt = this.options.clock.now().getTime();
    for (const planned of options.plan.events) {
      const body: SandboxCallbackBody = {
        id: `evt_${randomBase62(20)}`,
        type: 'verification.updated',
        created_at: new Date(decidedAt - (planned.backdateMs ?? 0)).toISOString(),
        verification: {
          id: options.providerVerificationId,
          reference: options.reference,
          decision: planned.decision,
          reason: planned.reason,
        },
      };
      const rawBody = JSON.stringify(body);
      await this.send(body.id, rawBody);
      if (options.plan.sendTwice) await this.send(body.id, rawBody);
    }
  }

  /** One callback with its retries; failures are logged by event id only (the body names no person anyway). */
  private async send(eventId: string, rawBody: string): Promise<void> {
    const { retryDelaysMs, timeoutMs, logger } = this.options;
    for (let attempt = 1; attempt <= retryDelaysMs.length + 1; attempt++) {
      if (attempt > 1) await sleep(retryDelaysMs[attempt - 2]!);
      const timestamp = Math.floor(this.options.clock.now().getTime() / 1000);
      let problem: string;
      try {
        const response = await fetch(this.options.callbackUrl(), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SANDBOX_KYC_SIGNATURE_HEADER]: signSandboxKycCallback(this.options.signingKey, timestamp, rawBody),
          },
          body: rawBody,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel();
        if (response.status >= 200 && response.status < 300) return;
        problem = `answered ${response.status}`;
      } catch (error) {
        problem = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'could not connect';
      }
      logger?.warn({ provider: this.name, event_id: eventId, attempt }, `sandbox-kyc callback failed: ${problem}`);
    }
    logger?.warn({ provider: this.name, event_id: eventId }, 'sandbox-kyc gave up on a callback: its decision never arrives');
  }
}

/** The callback body, checked field by field; anything unexpected is refused, not guessed at. */
function parseBody(rawBody: Buffer): SandboxCallbackBody {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new CallbackRejectedError('the body is not JSON');
  }
  const object = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  const id = (value: unknown, prefix: string) => typeof value === 'string' && new RegExp(`^${prefix}_[0-9A-Za-z]{20}$`).test(value);
  if (!object(body) || body.type !== 'verification.updated') throw new CallbackRejectedError('not a verification.updated callback');
  if (!id(body.id, 'evt')) throw new CallbackRejectedError('id is missing or malformed');
  if (typeof body.created_at !== 'string' || Number.isNaN(Date.parse(body.created_at)))
    throw new CallbackRejectedError('created_at is not a time');
  const verification = body.verification;
  const reference = (value: unknown) => typeof value === 'string' && /^[\x21-\x7e]{1,200}$/.test(value);
  if (!object(verification) || !id(verification.id, 'skv') || !reference(verification.reference)) {
    throw new CallbackRejectedError('verification.id or verification.reference is missing or malformed');
  }
  if (!toKycOutcome(verification.decision)) throw new CallbackRejectedError('verification.decision is not one the sandbox makes');
  if (verification.reason !== null && !isReasonCode(verification.reason))
    throw new CallbackRejectedError('verification.reason is malformed');
  return body as unknown as SandboxCallbackBody;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
