import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, ManualClock } from '../../src/lib/clock.ts';
import { randomBase62 } from '../../src/lib/ids.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import { PAYOUT_DECLINE_REASONS, PAYOUT_OUTCOMES, type PayoutOutcome } from '../../src/modules/settlement/off-ramp-vocabulary.ts';
import type { PayoutAnswer, PayoutCardDetails, PayoutProvider, PayoutUpdateEvent } from '../../src/modules/settlement/payout-provider.ts';
import { type ReceivedHook, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { callbackRequest, describeSignedCallbacks } from './signed-callbacks.ts';

/**
 * The scenarios every PayoutProvider passes, through its real callbacks (sent over HTTP to a local
 * receiver and read back through `verifyCallback`, as the callback route would): a card is
 * tokenized into brand, last four and a token that does not hold the number; each documented test
 * card ends in its outcome; a repeated payout with one reference is one payout; callbacks that were
 * tampered with are refused. What differs per adapter (its test cards) goes in `quirks`.
 */
export interface PayoutScenario {
  name: string;
  card: PayoutCardDetails;
  /** What payout answers at once. */
  answer: PayoutAnswer['status'];
  reason?: string;
  /** The events its callbacks reduce to, in order; `repeats` names an earlier callback this one delivers again (same id). */
  callbacks: Array<{ outcome: PayoutOutcome; reason?: string; repeats?: number }>;
}

export interface PayoutProviderQuirks {
  /** Every documented test card with what it yields; must cover every outcome. */
  scenarios: PayoutScenario[];
  /** A card that is paid out (the idempotency scenario uses it). */
  paid: PayoutCardDetails;
}

export interface PayoutProviderContext {
  callbackUrl: () => string;
  clock: Clock;
}

type Adapter = PayoutProvider & { idle?: () => Promise<void> };

const CALLBACK_WAIT_MS = 10_000;
const QUIET_MS = 300;
const EUR_90_12 = { amountMinor: 9012n, currency: 'EUR' };

export function describePayoutProvider(
  label: string,
  make: (context: PayoutProviderContext) => Adapter | Promise<Adapter>,
  quirks: PayoutProviderQuirks,
): void {
  describe(`PayoutProvider conformance: ${label}`, () => {
    let provider: Adapter;
    let receiver: WebhookReceiver;
    const clock = new ManualClock();
    const results = new Map<string, { reference: string; answer: PayoutAnswer; hooks: ReceivedHook[]; token: string }>();
    const reference = () => `po_${randomBase62(20)}`;

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
      for (const scenario of quirks.scenarios) {
        const from = receiver.received.length;
        const ref = reference();
        const { token } = await provider.tokenizeCard({ card: scenario.card });
        const answer = await provider.payout({ reference: ref, cardToken: token, ...EUR_90_12 });
        const hooks = scenario.callbacks.length === 0 ? [] : await callbacksAfter(from, scenario.callbacks.length);
        results.set(scenario.name, { reference: ref, answer, hooks, token });
      }
    });
    afterAll(async () => {
      await provider?.idle?.();
      await receiver?.close();
    });

    const verify = (hook: ReceivedHook): PayoutUpdateEvent => provider.verifyCallback(callbackRequest(hook));

    it('has a short name: the {name} of its callback route', () => {
      expect(provider.name).toMatch(/^[a-z][a-z0-9-]{1,30}$/);
    });

    it('documents a test card for every outcome', () => {
      const covered = new Set(quirks.scenarios.flatMap((scenario) => scenario.callbacks.map((callback) => callback.outcome)));
      for (const outcome of PAYOUT_OUTCOMES) expect(covered, outcome).toContain(outcome);
    });

    it('tokenizes a card into its brand, last four digits and a token that does not hold the number', async () => {
      const tokenized = await provider.tokenizeCard({ card: quirks.paid });
      expect(tokenized.last4).toBe(quirks.paid.number.slice(-4));
      expect(tokenized.brand).toMatch(/^[a-z]+$/);
      expect(tokenized.token).toMatch(/^[\x21-\x7e]{1,500}$/);
      expect(tokenized.token).not.toContain(quirks.paid.number);
      expect(tokenized.token).not.toContain(quirks.paid.number.slice(0, 8));
    });

    for (const scenario of quirks.scenarios) {
      it(`${scenario.name}: answers ${scenario.answer}, then ${scenario.callbacks.map((callback) => callback.outcome).join(', ') || 'no callback'}`, () => {
        const result = results.get(scenario.name)!;
        expect(result.answer.status).toBe(scenario.answer);
        expect(result.answer.providerPayoutId).toMatch(/^[\x21-\x7e]{1,200}$/);
        if (result.answer.status === 'declined') {
          expect(PAYOUT_DECLINE_REASONS).toContain(result.answer.reason);
          expect(result.answer.reason).toBe(scenario.reason);
        }
        expect(result.hooks.length, 'number of callbacks').toBe(scenario.callbacks.length);
        const events = result.hooks.map(verify);
        scenario.callbacks.forEach((expected, index) => {
          const event = events[index]!;
          expect(event).toMatchObject({
            kind: 'payout.update',
            providerPayoutId: result.answer.providerPayoutId,
            outcome: expected.outcome,
          });
          expect(JSON.parse(JSON.stringify(event)), 'JSON-safe (the inbox stores it as it is)').toEqual(event);
          expect(event.reference).toBe(result.reference);
          if (expected.reason !== undefined) expect(event.reason).toBe(expected.reason);
          if (expected.outcome === 'declined') expect(PAYOUT_DECLINE_REASONS).toContain(event.reason);
          if (expected.repeats !== undefined) expect(event.eventId).toBe(events[expected.repeats]!.eventId);
          else expect(events.slice(0, index).map((earlier) => earlier.eventId)).not.toContain(event.eventId);
        });
        // A card's details never travel in a callback.
        for (const hook of result.hooks) expect(hook.body).not.toContain(scenario.card.number);
      });
    }

    it('gives one payout id per reference: a repeated payout does not pay twice', async () => {
      const { token } = await provider.tokenizeCard({ card: quirks.paid });
      const ref = reference();
      const first = await provider.payout({ reference: ref, cardToken: token, ...EUR_90_12 });
      const again = await provider.payout({ reference: ref, cardToken: token, ...EUR_90_12 });
      const other = await provider.payout({ reference: reference(), cardToken: token, ...EUR_90_12 });
      expect(again.providerPayoutId).toBe(first.providerPayoutId);
      expect(other.providerPayoutId).not.toBe(first.providerPayoutId);
      await provider.idle?.();
    });

    it('refuses a payout of nothing, or to a token it never gave, with ProviderError rejected', async () => {
      const { token } = await provider.tokenizeCard({ card: quirks.paid });
      for (const request of [
        { reference: reference(), cardToken: token, amountMinor: 0n, currency: 'EUR' },
        { reference: reference(), cardToken: 'not-a-token', ...EUR_90_12 },
      ]) {
        const error = await provider.payout(request).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ProviderError);
        expect(error).toMatchObject({ provider: provider.name, kind: 'rejected' });
      }
    });

    describeSignedCallbacks({
      provider: () => provider,
      hook: () => [...results.values()].find((result) => result.hooks.length > 0)!.hooks[0]!,
      clock,
      // The outcome is what matters most: a decline relabelled as paid must not pass.
      extraTampering: (hook) => {
        const swapped = hook.body.replace(/payout\.(paid|declined)/, (_, outcome) =>
          outcome === 'paid' ? 'payout.declined' : 'payout.paid',
        );
        return swapped === hook.body ? [] : [Buffer.from(swapped)];
      },
    });
  });
}
