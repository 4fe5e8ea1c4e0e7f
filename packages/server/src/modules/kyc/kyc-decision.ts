import type { InboundEvent } from '../callbacks/inbound-event.ts';

/**
 * The closed vocabulary a KYC provider's callback is reduced to before the domain sees it
 * (Medusa's "authorized / captured / failed", for identity):
 *
 * - `verified`: the person is who the document says; the identity is verified.
 * - `rejected`: a final no (e.g. `document_expired`); the identity is failed and the transaction
 *   that submitted it fails with `kyc_rejected`.
 * - `resubmit`: the provider could not decide from what it got (e.g. `blurry_image`); the user uploads again.
 * - `in_review`: a person at the provider is looking; nothing changes for the user yet.
 */
export const KYC_OUTCOMES = ['verified', 'rejected', 'resubmit', 'in_review'] as const;
export type KycOutcome = (typeof KYC_OUTCOMES)[number];

export const KYC_DECISION = 'kyc.decision';

export interface KycDecisionEvent extends InboundEvent {
  kind: typeof KYC_DECISION;
  /** The provider's id of this event; a second delivery of it changes nothing. */
  eventId: string;
  /** The adapter's name (KycProvider.name): provider verification ids are unique per provider only. */
  provider: string;
  /** The provider's id of the verification, as `submit` returned it. */
  providerVerificationId: string;
  /** Our verification id (`kyv_…`) when the provider echoes the reference it was given; lets a callback that overtakes `submit`'s answer find its record. */
  verificationId?: string;
  outcome: KycOutcome;
  /** A short snake_case code, e.g. `document_expired`, `blurry_image`; for rejections and resubmissions. */
  reason?: string;
  /** When the provider decided (ISO 8601): an older decision arriving after a newer one is stale. */
  occurredAt: string;
}

const REASON = /^[a-z][a-z0-9_]{0,63}$/;
const ID = /^[\x21-\x7e]{1,200}$/;

/**
 * Checks a stored event is a well-formed decision. Events are written by our own adapters'
 * verifyCallback, so a failure here is a bug or a corrupted row, never a user's mistake.
 */
export function parseKycDecision(event: InboundEvent): KycDecisionEvent {
  const problem = decisionProblem(event);
  if (problem) throw new Error(`not a kyc.decision event: ${problem}`);
  return event as KycDecisionEvent;
}

function decisionProblem(event: InboundEvent): string | undefined {
  if (event.kind !== KYC_DECISION) return `kind is ${String(event.kind)}`;
  for (const field of ['eventId', 'provider', 'providerVerificationId'] as const) {
    if (typeof event[field] !== 'string' || !ID.test(event[field])) return `${field} is missing or malformed`;
  }
  if (event.verificationId !== undefined && (typeof event.verificationId !== 'string' || !ID.test(event.verificationId))) {
    return 'verificationId is malformed';
  }
  if (!(KYC_OUTCOMES as readonly unknown[]).includes(event.outcome))
    return `outcome ${String(event.outcome)} is not one of ${KYC_OUTCOMES.join(', ')}`;
  if (event.reason !== undefined && (typeof event.reason !== 'string' || !REASON.test(event.reason))) return 'reason is malformed';
  if (typeof event.occurredAt !== 'string' || Number.isNaN(Date.parse(event.occurredAt))) return 'occurredAt is not a time';
  return undefined;
}

/** Whether a reason code has the documented shape (adapters check what vendors send with it). */
export function isReasonCode(value: unknown): value is string {
  return typeof value === 'string' && REASON.test(value);
}
