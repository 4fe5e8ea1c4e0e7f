import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.ts';
import {
  SANDBOX_KYC_SIGNATURE_HEADER,
  SANDBOX_KYC_TEST_VALUES,
  SandboxKycProvider,
  sandboxKycPlan,
  signSandboxKycCallback,
} from '../../src/modules/kyc/sandbox-kyc-provider.ts';
import { logCollector } from '../helpers/log-collector.ts';
import { answer, startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { describeKycProvider, type KycScenario, sampleDocuments } from './kyc.ts';
import { callbackRequest } from './signed-callbacks.ts';

const person = (last_name: string) => ({ first_name: 'Test', last_name, document_number: 'X1234567' });

/** The test values of docs/sandbox.md, each with what its callbacks say. */
const scenarios: KycScenario[] = [
  { name: 'any other name is verified', person: person('Lovelace'), callbacks: [{ outcome: 'verified' }] },
  { name: 'REJECT', person: person('REJECT'), callbacks: [{ outcome: 'rejected', reason: 'document_expired' }] },
  {
    name: 'resubmit (any case)',
    person: person('resubmit'),
    documentType: 'driving_licence',
    callbacks: [{ outcome: 'resubmit', reason: 'blurry_image' }],
  },
  { name: 'REVIEW stays in review', person: person('REVIEW'), callbacks: [{ outcome: 'in_review' }] },
  { name: 'DUPLICATE', person: person('DUPLICATE'), callbacks: [{ outcome: 'verified' }, { outcome: 'verified', repeats: 0 }] },
  { name: 'OUT_OF_ORDER', person: person('OUT_OF_ORDER'), callbacks: [{ outcome: 'verified' }, { outcome: 'in_review', olderThan: 0 }] },
];

const signingKey = randomBytes(32);

describeKycProvider('sandbox', ({ callbackUrl, clock }) => new SandboxKycProvider({ signingKey, callbackUrl, clock, delayMs: 0 }), {
  scenarios,
  unavailable: person('TIMEOUT'),
});

describe('sandbox-kyc specifics', () => {
  it('documents every test value it acts on (and the conformance scenarios use each)', () => {
    for (const value of SANDBOX_KYC_TEST_VALUES) {
      expect(sandboxKycPlan(value), value).not.toEqual(sandboxKycPlan('Lovelace'));
      expect(sandboxKycPlan(` ${value.toLowerCase()} `)).toEqual(sandboxKycPlan(value));
    }
    const used = new Set([...scenarios.map((scenario) => scenario.person.last_name.toUpperCase()), 'TIMEOUT']);
    expect(SANDBOX_KYC_TEST_VALUES.filter((value) => !used.has(value))).toEqual([]);
  });

  it('signs t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> with its derived key, at the clock’s time, after the delay', async () => {
    const receiver = await startWebhookReceiver();
    const clock = new ManualClock(new Date('2026-11-21T12:00:00Z'));
    const sandbox = new SandboxKycProvider({ signingKey, callbackUrl: () => `${receiver.url}/cb`, clock, delayMs: 50 });
    try {
      const started = Date.now();
      const { providerVerificationId } = await sandbox.submit({
        verificationId: 'kyv_0123456789abcdefghij',
        documentType: 'passport',
        documents: sampleDocuments('passport'),
        person: person('Lovelace'),
      });
      expect(receiver.received).toHaveLength(0);
      await sandbox.idle();
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      const [hook] = receiver.received;
      expect(hook!.path).toBe('/cb');
      expect(hook!.headers['content-type']).toBe('application/json');
      const timestamp = Math.floor(clock.now().getTime() / 1000);
      expect(hook!.headers[SANDBOX_KYC_SIGNATURE_HEADER]).toBe(signSandboxKycCallback(signingKey, timestamp, hook!.body));
      expect(hook!.headers[SANDBOX_KYC_SIGNATURE_HEADER]).toMatch(/^t=1795262400,v1=[0-9a-f]{64}$/);
      expect(JSON.parse(hook!.body)).toEqual({
        id: expect.stringMatching(/^evt_[0-9A-Za-z]{20}$/),
        type: 'verification.updated',
        created_at: '2026-11-21T12:00:00.000Z',
        verification: { id: providerVerificationId, reference: 'kyv_0123456789abcdefghij', decision: 'approved', reason: null },
      });
      // Another deployment's key does not verify it.
      const other = new SandboxKycProvider({ signingKey: randomBytes(32), callbackUrl: () => '', clock, delayMs: 0 });
      expect(() => other.verifyCallback(callbackRequest(hook!))).toThrow('the signature does not match');
    } finally {
      await receiver.close();
    }
  });

  it('retries a callback that failed, and warns without naming anyone', async () => {
    const receiver = await startWebhookReceiver({ respond: answer((hook) => (hook.n === 1 ? 503 : 204)) });
    const { lines, logger } = logCollector('debug');
    const sandbox = new SandboxKycProvider({
      signingKey,
      callbackUrl: () => `${receiver.url}/cb`,
      clock: new ManualClock(),
      delayMs: 0,
      logger,
      retryDelaysMs: [10, 10],
    });
    try {
      await sandbox.submit({
        verificationId: 'kyv_retry0123456789abcd',
        documentType: 'passport',
        documents: sampleDocuments('passport'),
        person: { first_name: 'Grace', last_name: 'Hopper', document_number: 'P7654321' },
      });
      await sandbox.idle();
      expect(receiver.received.map((hook) => hook.answered)).toEqual([503, 204]);
      expect(receiver.received[0]!.body).toBe(receiver.received[1]!.body);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 40, provider: 'sandbox-kyc', attempt: 1, msg: 'sandbox-kyc callback failed: answered 503' });
      expect(JSON.stringify(lines)).not.toMatch(/Grace|Hopper|P7654321/);
    } finally {
      await receiver.close();
    }
  });

  it('gives up after its retries with a warning, when nobody answers', async () => {
    const receiver = await startWebhookReceiver();
    const url = `${receiver.url}/cb`;
    await receiver.close();
    const { lines, logger } = logCollector('warn');
    const sandbox = new SandboxKycProvider({
      signingKey,
      callbackUrl: () => url,
      clock: new ManualClock(),
      delayMs: 0,
      logger,
      retryDelaysMs: [5],
    });
    await sandbox.submit({
      verificationId: 'kyv_gone0123456789abcde',
      documentType: 'passport',
      documents: sampleDocuments('passport'),
      person: person('Lovelace'),
    });
    await sandbox.idle();
    expect(lines.map((line) => line.msg)).toEqual([
      'sandbox-kyc callback failed: could not connect',
      'sandbox-kyc callback failed: could not connect',
      'sandbox-kyc gave up on a callback: its decision never arrives',
    ]);
  });
});
