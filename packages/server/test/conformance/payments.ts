import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, ManualClock } from '../../src/lib/clock.ts';
import { randomBase62 } from '../../src/lib/ids.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import type { AuthorizeAnswer, PaymentProvider, PaymentUpdateEvent } from '../../src/modules/payments/payment-provider.ts';
import type { PaymentSource } from '../../src/modules/payments/payment-source.ts';
import { DECLINE_REASONS, PAYMENT_OUTCOMES, type PaymentOutcome } from '../../src/modules/payments/payment-vocabulary.ts';
import { type ReceivedHook, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { callbackRequest, describeSignedCallbacks } from './signed-callbacks.ts';

/**
 * The scenarios every PaymentProvider passes, through its real callbacks: they go over HTTP to a
 * local receiver (`callbackUrl`) and are read back through `verifyCallback`, as the callback route
 * would. Authorising answers at once (pending, a 3-D Secure challenge, or declined); each
 * documented test value ends in its outcome by callbacks that verify; a provider that cannot be
 * reached throws ProviderError `unavailable`; a captured payment can be refunded (idempotently); a
 * callback that was tampered with, re-signed by someone else or is too old is refused. The
 * adapter's clock is a ManualClock the suite moves. What differs per adapter (its test values)
 * goes in `quirks`.
 */
export interface PaymentScenario {
  /** e.g. "insufficient funds". */
  name: string;
  source: PaymentSource;
  /** What authorize answers at once. */
  answer: AuthorizeAnswer['status'];
  /** For `declined` at once: its reason. */
  reason?: string;
  /** For `requires_action`: what the user types. */
  challengeAnswer?: string;
  /** The events its callbacks reduce to, in delivery order; `repeats` names an earlier callback this one delivers again (same id). */
  callbacks: Array<{ outcome: PaymentOutcome; reason?: string; repeats?: number }>;
}

export interface PaymentProviderQuirks {
  /** Every documented test value of the adapter with what it yields; must cover every outcome and both challenge endings. */
  scenarios: PaymentScenario[];
  /** A source whose authorize fails with ProviderError `unavailable`. */
  unavailable: PaymentSource;
  /** A source that is captured without a challenge (the refund scenarios use it). */
  captured: PaymentSource;
}

export interface PaymentProviderContext {
  callbackUrl: () => string;
  clock: Clock;
}

/** What an adapter built for the suite may add: a way to know its pending callbacks are out. */
type Adapter = PaymentProvider & { idle?: () => Promise<void> };

const CALLBACK_WAIT_MS = 10_000;
const QUIET_MS = 300;
const EUR_94_80 = { amountMinor: 9480n, currency: 'EUR' };

export function describePaymentProvider(
  label: string,
  make: (context: PaymentProviderContext) => Adapter | Promise<Adapter>,
  quirks: PaymentProviderQuirks,
): void {
  describe(`PaymentProvider conformance: ${label}`, () => {
    let provider: Adapter;
    let receiver: WebhookReceiver;
    const clock = new ManualClock();
    const results = new Map<string, { reference: string; answer: AuthorizeAnswer; hooks: ReceivedHook[] }>();
    const reference = () => `pay_${randomBase62(20)}`;

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
        const ref = reference();
        const answer = await provider.authorize({ reference: ref, ...EUR_94_80, source: scenario.source });
        if (answer.status === 'requires_action' && scenario.challengeAnswer !== undefined) {
          await provider.answerChallenge({ providerPaymentId: answer.providerPaymentId, reference: ref, answer: scenario.challengeAnswer });
        }
        const hooks = scenario.callbacks.length === 0 ? [] : await callbacksAfter(from, scenario.callbacks.length);
        results.set(scenario.name, { reference: ref, answer, hooks });
      }
    });
    afterAll(async () => {
      await provider?.idle?.();
      await receiver?.close();
    });

    const verify = (hook: ReceivedHook): PaymentUpdateEvent => provider.verifyCallback(callbackRequest(hook));

    it('has a short name: the {name} of its callback route', () => {
      expect(provider.name).toMatch(/^[a-z][a-z0-9-]{1,30}$/);
    });

    it('documents a test value for every outcome, and for a challenge that passes and one that fails', () => {
      const covered = new Set(quirks.scenarios.flatMap((scenario) => scenario.callbacks.map((callback) => callback.outcome)));
      for (const outcome of PAYMENT_OUTCOMES.filter((outcome) => outcome !== 'refunded')) expect(covered, outcome).toContain(outcome);
      const challenged = quirks.scenarios.filter((scenario) => scenario.answer === 'requires_action');
      expect(challenged.some((scenario) => scenario.callbacks.at(-1)?.outcome === 'captured')).toBe(true);
      expect(challenged.some((scenario) => scenario.callbacks.at(-1)?.outcome === 'failed')).toBe(true);
    });

    for (const scenario of quirks.scenarios) {
      it(`${scenario.name}: answers ${scenario.answer}, then ${scenario.callbacks.map((callback) => callback.outcome).join(', ') || 'no callback'}`, () => {
        const result = results.get(scenario.name)!;
        expect(result.answer.status).toBe(scenario.answer);
        expect(result.answer.providerPaymentId).toMatch(/^[\x21-\x7e]{1,200}$/);
        if (result.answer.status === 'requires_action') {
          expect(result.answer.challenge.kind).toBe('three_ds');
          expect(result.answer.challenge.prompt.length).toBeGreaterThan(0);
        }
        if (result.answer.status === 'declined') {
          expect(DECLINE_REASONS).toContain(result.answer.reason);
          expect(result.answer.reason).toBe(scenario.reason);
        }
        expect(result.hooks.length, 'number of callbacks').toBe(scenario.callbacks.length);
        const events = result.hooks.map(verify);
        scenario.callbacks.forEach((expected, index) => {
          const event = events[index]!;
          expect(event).toMatchObject({
            kind: 'payment.update',
            providerPaymentId: result.answer.providerPaymentId,
            outcome: expected.outcome,
          });
          expect(JSON.parse(JSON.stringify(event)), 'JSON-safe (the inbox stores it as it is)').toEqual(event);
          if (expected.reason !== undefined) expect(event.reason).toBe(expected.reason);
          if (expected.outcome === 'declined' || expected.outcome === 'failed') expect(DECLINE_REASONS).toContain(event.reason);
          if (event.reference !== undefined) expect(event.reference).toBe(result.reference);
          if (event.paymentMethod !== undefined) expect(event.paymentMethod).toBe(scenario.source.method);
          expect(event.eventId).toMatch(/^[\x21-\x7e]{1,200}$/);
          if (expected.repeats !== undefined) expect(event.eventId).toBe(events[expected.repeats]!.eventId);
          else expect(events.slice(0, index).map((earlier) => earlier.eventId)).not.toContain(event.eventId);
        });
      });
    }

    it('gives one payment id per reference: a repeated authorize does not make a second payment', async () => {
      const ref = reference();
      const first = await provider.authorize({ reference: ref, ...EUR_94_80, source: quirks.captured });
      const again = await provider.authorize({ reference: ref, ...EUR_94_80, source: quirks.captured });
      const other = await provider.authorize({ reference: reference(), ...EUR_94_80, source: quirks.captured });
      expect(again.providerPaymentId).toBe(first.providerPaymentId);
      expect(other.providerPaymentId).not.toBe(first.providerPaymentId);
      await provider.idle?.();
    });

    it('throws ProviderError unavailable, naming itself, when its vendor cannot be reached', async () => {
      const error = await provider
        .authorize({ reference: reference(), ...EUR_94_80, source: quirks.unavailable })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ provider: provider.name, kind: 'unavailable', retryable: true });
    });

    it('refunds a captured payment by callback, once per idempotency key', async () => {
      const ref = reference();
      let from = receiver.received.length;
      const answer = await provider.authorize({ reference: ref, ...EUR_94_80, source: quirks.captured });
      const [captured] = await callbacksAfter(from, 1);
      expect(verify(captured!).outcome).toBe('captured');
      from = receiver.received.length;
      const request = {
        providerPaymentId: answer.providerPaymentId,
        reference: ref,
        idempotencyKey: `${ref}:refund`,
        ...EUR_94_80,
        reason: 'delivery_failed',
      };
      const refund = await provider.refund(request);
      expect(refund).toEqual({ providerRefundId: expect.stringMatching(/^[\x21-\x7e]{1,200}$/), status: 'pending' });
      const [refunded] = await callbacksAfter(from, 1);
      const event = verify(refunded!);
      expect(event).toMatchObject({ kind: 'payment.update', providerPaymentId: answer.providerPaymentId, outcome: 'refunded' });
      expect(event.eventId).not.toBe(verify(captured!).eventId);
      expect((await provider.refund(request)).providerRefundId).toBe(refund.providerRefundId);
      await provider.idle?.();
    });

    describeSignedCallbacks({
      provider: () => provider,
      hook: () => [...results.values()].find((result) => result.hooks.length > 0)!.hooks[0]!,
      clock,
      // The outcome is what matters most: a capture relabelled as a refund must not pass.
      extraTampering: (hook) => {
        const swapped = hook.body.replace(/captured|declined|failed|succeeded/, 'refunded');
        return swapped === hook.body ? [] : [Buffer.from(swapped)];
      },
    });
  });
}
