import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, ManualClock } from '../../src/lib/clock.ts';
import { randomBase62 } from '../../src/lib/ids.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import type { DocumentType } from '../../src/modules/kyc/document-types.ts';
import { KYC_OUTCOMES, type KycDecisionEvent, type KycOutcome } from '../../src/modules/kyc/kyc-decision.ts';
import type { KycDocumentInput, KycPerson, KycProvider, KycSubmission } from '../../src/modules/kyc/kyc-provider.ts';
import { type ReceivedHook, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { callbackRequest, describeSignedCallbacks } from './signed-callbacks.ts';

/**
 * The scenarios every KycProvider passes: a submission is acknowledged with a pending id, each of
 * the adapter's documented test values ends in its outcome through callbacks that verify, and a
 * callback that was tampered with or is too old is refused. The callbacks go to a local receiver
 * (`callbackUrl`); the adapter's clock is a ManualClock the suite moves. What differs per adapter
 * (its test values and what each one yields) goes in `quirks`.
 */
export interface KycScenario {
  /** e.g. "a rejected document". */
  name: string;
  person: KycPerson;
  documentType?: DocumentType;
  /**
   * The events its callbacks must reduce to, in delivery order. `repeats` names the index of an
   * earlier callback this one is a second delivery of (same event id).
   */
  callbacks: Array<{ outcome: KycOutcome; reason?: string; repeats?: number; olderThan?: number }>;
}

export interface KycProviderQuirks {
  /** Every documented test value of the adapter, with what it yields. Must cover each outcome. */
  scenarios: KycScenario[];
  /** A person whose submission makes the provider fail with ProviderError `unavailable` (no callback follows). */
  unavailable?: KycPerson;
}

export interface KycProviderContext {
  callbackUrl: () => string;
  clock: Clock;
}

/** What an adapter built for the suite may add: a way to know its pending callbacks are out. */
type Adapter = KycProvider & { idle?: () => Promise<void> };

/** How long a callback may take to arrive from an adapter that cannot say when it is done. */
const CALLBACK_WAIT_MS = 10_000;
const QUIET_MS = 300;

/** The smallest files the sniffing accepts as JPEG and PNG; the provider gets them as they are. */
export const SAMPLE_JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);
export const SAMPLE_PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);

export function sampleDocuments(documentType: DocumentType): KycDocumentInput[] {
  const front: KycDocumentInput = { side: 'front', contentType: 'image/jpeg', bytes: SAMPLE_JPEG };
  const back: KycDocumentInput = { side: 'back', contentType: 'image/jpeg', bytes: SAMPLE_JPEG };
  const selfie: KycDocumentInput = { side: 'selfie', contentType: 'image/png', bytes: SAMPLE_PNG };
  return documentType === 'passport' ? [front, selfie] : [front, back, selfie];
}

export function describeKycProvider(
  label: string,
  make: (context: KycProviderContext) => Adapter | Promise<Adapter>,
  quirks: KycProviderQuirks,
): void {
  describe(`KycProvider conformance: ${label}`, () => {
    let provider: Adapter;
    let receiver: WebhookReceiver;
    const clock = new ManualClock();
    /** Per scenario: what submit answered and the callbacks that followed. */
    const results = new Map<string, { verificationId: string; providerVerificationId: string; hooks: ReceivedHook[] }>();

    const submission = (person: KycPerson, documentType: DocumentType = 'passport'): KycSubmission => ({
      verificationId: `kyv_${randomBase62(20)}`,
      documentType,
      documents: sampleDocuments(documentType),
      person,
    });

    /** Waits for `count` more callbacks after `from`, then for quiet, and returns those after `from`. */
    const callbacksAfter = async (from: number, count: number) => {
      if (provider.idle) await provider.idle();
      else {
        await receiver.waitFor(from + count, CALLBACK_WAIT_MS);
        await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      }
      return receiver.received.slice(from);
    };

    beforeAll(async () => {
      receiver = await startWebhookReceiver();
      provider = await make({ callbackUrl: () => `${receiver.url}/callbacks`, clock });
      // One scenario at a time, so each callback belongs to the scenario before it.
      for (const scenario of quirks.scenarios) {
        const from = receiver.received.length;
        const request = submission(scenario.person, scenario.documentType);
        const submitted = await provider.submit(request);
        const hooks = await callbacksAfter(from, scenario.callbacks.length);
        results.set(scenario.name, {
          verificationId: request.verificationId,
          providerVerificationId: submitted.providerVerificationId,
          hooks,
        });
      }
    });
    afterAll(async () => {
      await provider?.idle?.();
      await receiver?.close();
    });

    it('has a short name: the {name} of its callback route', () => {
      expect(provider.name).toMatch(/^[a-z][a-z0-9-]{1,30}$/);
    });

    it('documents a test value for every outcome', () => {
      const covered = new Set(quirks.scenarios.flatMap((scenario) => scenario.callbacks.map((callback) => callback.outcome)));
      expect([...covered].sort()).toEqual([...KYC_OUTCOMES].sort());
    });

    it('acknowledges a submission with a pending provider id, and a repeated submission alike', async () => {
      const request = submission({ first_name: 'Ada', last_name: 'Lovelace' }, 'national_id');
      const first = await provider.submit(request);
      expect(first).toEqual({ providerVerificationId: expect.any(String), status: 'pending' });
      expect(first.providerVerificationId).toMatch(/^[\x21-\x7e]{1,200}$/);
      expect(await provider.submit(request)).toEqual(first);
      const other = await provider.submit(submission({ first_name: 'Ada', last_name: 'Lovelace' }, 'national_id'));
      expect(other.providerVerificationId).not.toBe(first.providerVerificationId);
      await provider.idle?.();
    });

    for (const scenario of quirks.scenarios) {
      it(`${scenario.name}: ${scenario.callbacks.map((callback) => callback.outcome).join(', ')} by verifiable callbacks`, () => {
        const result = results.get(scenario.name)!;
        expect(result.hooks.length, 'number of callbacks').toBe(scenario.callbacks.length);
        const events = result.hooks.map((hook) => provider.verifyCallback(callbackRequest(hook)));
        scenario.callbacks.forEach((expected, index) => {
          const event: KycDecisionEvent = events[index]!;
          expect(event).toMatchObject({
            kind: 'kyc.decision',
            provider: provider.name,
            providerVerificationId: result.providerVerificationId,
            outcome: expected.outcome,
          });
          expect(event.reason).toBe(expected.reason);
          if (event.verificationId !== undefined) expect(event.verificationId).toBe(result.verificationId);
          expect(new Date(event.occurredAt).toISOString()).toBe(event.occurredAt);
          if (expected.repeats !== undefined) expect(event.eventId).toBe(events[expected.repeats]!.eventId);
          else expect(events.slice(0, index).map((earlier) => earlier.eventId)).not.toContain(event.eventId);
          if (expected.olderThan !== undefined) {
            expect(Date.parse(event.occurredAt)).toBeLessThan(Date.parse(events[expected.olderThan]!.occurredAt));
          }
        });
      });
    }

    describeSignedCallbacks({
      provider: () => provider,
      hook: () => [...results.values()].find((result) => result.hooks.length > 0)!.hooks[0]!,
      clock,
    });

    it('fails a submission the provider cannot take with a ProviderError naming itself, and calls back about nothing', async () => {
      const incomplete = { ...submission({ first_name: 'Ada', last_name: 'Lovelace' }, 'national_id') };
      incomplete.documents = incomplete.documents.filter((document) => document.side !== 'back');
      const error = await provider.submit(incomplete).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).provider).toBe(provider.name);
      if (quirks.unavailable) {
        const from = receiver.received.length;
        const timeout = await provider.submit(submission(quirks.unavailable)).catch((caught: unknown) => caught);
        expect(timeout).toBeInstanceOf(ProviderError);
        expect(timeout).toMatchObject({ provider: provider.name, kind: 'unavailable', retryable: true });
        await provider.idle?.();
        await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
        expect(receiver.received.length).toBe(from);
      }
    });
  });
}
