import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.ts';
import {
  type OutgoingPayoutCallback,
  SANDBOX_PAYOUT_CARDS,
  SANDBOX_PAYOUT_SIGNATURE_HEADER,
  SandboxPayoutProvider,
  signSandboxPayoutCallback,
} from '../../src/modules/settlement/sandbox-payout-provider.ts';
import { describePayoutProvider, type PayoutScenario } from './payouts.ts';

const card = (number: string) => ({ number, expiry_month: 12, expiry_year: 2031, holder_name: 'Ada Lovelace' });

/** The payout test cards of docs/sandbox.md ("Payouts"), each with what it yields. */
const scenarios: PayoutScenario[] = [
  { name: 'Visa 4242 is paid', card: card(SANDBOX_PAYOUT_CARDS.paid), answer: 'pending', callbacks: [{ outcome: 'paid' }] },
  { name: 'Mastercard 4444 is paid', card: card(SANDBOX_PAYOUT_CARDS.paidMastercard), answer: 'pending', callbacks: [{ outcome: 'paid' }] },
  {
    name: 'declined',
    card: card(SANDBOX_PAYOUT_CARDS.declined),
    answer: 'pending',
    callbacks: [{ outcome: 'declined', reason: 'card_declined' }],
  },
  {
    name: 'over the card’s limit',
    card: card(SANDBOX_PAYOUT_CARDS.limitExceeded),
    answer: 'pending',
    callbacks: [{ outcome: 'declined', reason: 'limit_exceeded' }],
  },
  {
    name: 'duplicate callbacks',
    card: card(SANDBOX_PAYOUT_CARDS.duplicateCallbacks),
    answer: 'pending',
    callbacks: [{ outcome: 'paid' }, { outcome: 'paid', repeats: 0 }],
  },
  { name: 'a card outside the table', card: card('4111111111111111'), answer: 'declined', reason: 'card_not_supported', callbacks: [] },
];

const signingKey = randomBytes(32);

describePayoutProvider('sandbox', ({ callbackUrl, clock }) => new SandboxPayoutProvider({ signingKey, callbackUrl, clock, delayMs: 0 }), {
  scenarios,
  paid: card(SANDBOX_PAYOUT_CARDS.paid),
});

describe('sandbox-payouts specifics', () => {
  it('documents every payout test card in docs/sandbox.md', () => {
    const docs = readFileSync(join(import.meta.dirname, '../../../../docs/sandbox.md'), 'utf8');
    const payouts = docs.slice(docs.indexOf('## Payouts'));
    expect(payouts.length).toBeLessThan(docs.length);
    for (const number of Object.values(SANDBOX_PAYOUT_CARDS)) expect(payouts, number).toContain(number.replace(/(\d{4})(?=\d)/g, '$1 '));
    expect(payouts).toContain(SANDBOX_PAYOUT_SIGNATURE_HEADER);
  });

  it('signs t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> at the clock’s time; another deployment’s key does not verify it', async () => {
    const sent: OutgoingPayoutCallback[] = [];
    const clock = new ManualClock(new Date('2026-11-21T12:00:00Z'));
    const sandbox = new SandboxPayoutProvider({
      signingKey,
      callbackUrl: () => 'http://platform.test/providers/sandbox-payouts/callbacks',
      clock,
      delayMs: 0,
      send: async (callback) => {
        sent.push(callback);
      },
    });
    const { token } = await sandbox.tokenizeCard({ card: card(SANDBOX_PAYOUT_CARDS.paid) });
    const answer = await sandbox.payout({ reference: 'po_0123456789abcdefghij', cardToken: token, amountMinor: 9012n, currency: 'EUR' });
    await sandbox.idle();
    const [callback] = sent;
    expect(callback!.url).toBe('http://platform.test/providers/sandbox-payouts/callbacks');
    expect(callback!.headers[SANDBOX_PAYOUT_SIGNATURE_HEADER]).toBe(signSandboxPayoutCallback(signingKey, 1795262400, callback!.body));
    expect(JSON.parse(callback!.body)).toEqual({
      id: expect.stringMatching(/^sbpoevt_[A-Za-z0-9_-]{24}$/),
      type: 'payout.paid',
      created: 1795262400,
      data: { payout: answer.providerPayoutId, reference: 'po_0123456789abcdefghij' },
    });
    const other = new SandboxPayoutProvider({ signingKey: randomBytes(32), callbackUrl: () => '', clock, delayMs: 0 });
    expect(() => other.verifyCallback({ rawBody: Buffer.from(callback!.body), headers: callback!.headers })).toThrow(
      'the signature does not match',
    );
  });

  it('drops callbacks not sent yet when closed', async () => {
    const sent: OutgoingPayoutCallback[] = [];
    const sandbox = new SandboxPayoutProvider({
      signingKey,
      callbackUrl: () => '',
      clock: new ManualClock(),
      delayMs: 60_000,
      send: async (callback) => {
        sent.push(callback);
      },
    });
    const { token } = await sandbox.tokenizeCard({ card: card(SANDBOX_PAYOUT_CARDS.paid) });
    await sandbox.payout({ reference: 'po_closed0123456789abc', cardToken: token, amountMinor: 1n, currency: 'EUR' });
    sandbox.close();
    await sandbox.idle();
    expect(sent).toEqual([]);
  });
});
