import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/lib/provider-error.ts';
import type { KycProvider } from '../src/modules/kyc/kyc-provider.ts';
import { applyKycDecision, getKycState, type KycDecisionEvent, storeDocument, submitVerification } from '../src/modules/kyc/kyc-service.ts';
import { SAMPLE_JPEG, SAMPLE_PNG } from './conformance/kyc.ts';
import { kycSandbox } from './helpers/platform-internals.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Decisions of the KYC provider, from submission to the user's state: the sandbox calls back over
 * real HTTP (POST /providers/sandbox-kyc/callbacks), the inbox stores the event, the callbacks
 * worker applies it; then GET /widget/users/{id}/kyc-status and the widget's state tell the result.
 * Duplicate and stale events change nothing.
 */

const MINUTE = 60_000;

describe('KYC decisions', () => {
  const server = useServerWithPartner({ background: true, env: { SANDBOX_KYC_DELAY: '0' } });

  type Who = { partnerId: string; partnerUserId: string; merchantTransactionId: string };
  const session = async (user: string): Promise<Who> => ({
    partnerId: server.partner.partner_id,
    partnerUserId: user,
    merchantTransactionId: await server.newSession({ partner_user_id: user }),
  });
  const uploadPassport = async (who: Who) => {
    await storeDocument(server.platform, { ...who, side: 'front', bytes: SAMPLE_JPEG });
    await storeDocument(server.platform, { ...who, side: 'selfie', bytes: SAMPLE_PNG });
  };
  const submit = (who: Who, lastName: string) =>
    submitVerification(server.platform, { ...who, documentType: 'passport', person: { first_name: 'Test', last_name: lastName } });
  /** Lets the sandbox call back, and the callbacks worker apply what arrived. */
  const decide = async () => {
    await kycSandbox(server).idle();
    await server.background!.callbacks.drain();
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: { status?: number; code?: string }) => `${error.status} ${error.code}`,
    );
  const verificationsOf = (who: Who) =>
    server.platform.db
      .selectFrom('kyc_verifications')
      .select(['id', 'provider', 'provider_verification_id', 'status', 'reason', 'decided_at', 'updated_at'])
      .where('merchant_transaction_id', '=', who.merchantTransactionId)
      .orderBy('created_at')
      .execute();
  const snapshot = async (who: Who) => ({
    identity: await server.platform.db
      .selectFrom('identities')
      .select(['kyc_status', 'verified_at', 'current_verification_id', 'updated_at'])
      .where('partner_user_id', '=', who.partnerUserId)
      .executeTakeFirstOrThrow(),
    verifications: await verificationsOf(who),
    transaction: (await server.getTransaction(who.merchantTransactionId)).body,
    history: await server.platform.db.selectFrom('transaction_events').select(['seq', 'status', 'reason']).execute(),
  });

  it('submit → pending → the signed callback is applied → kyc-status verified with verified_at, and later transactions skip the step', async () => {
    const who = await session('decide-verified');
    expect(await getKycState(server.platform, who)).toEqual({ status: 'not_started', required: true, uploaded: [] });
    await uploadPassport(who);
    expect(await submit(who, 'Lovelace')).toEqual({ status: 'pending', required: true, uploaded: [] });
    expect((await server.getKycStatus(who.partnerUserId)).body).toEqual({ partner_user_id: who.partnerUserId, status: 'pending' });

    await decide();
    const events = await server.platform.db.selectFrom('provider_events').select(['provider', 'kind', 'status']).execute();
    expect(events).toContainEqual({ provider: 'sandbox-kyc', kind: 'kyc.decision', status: 'applied' });
    expect((await server.getKycStatus(who.partnerUserId)).body).toEqual({
      partner_user_id: who.partnerUserId,
      status: 'verified',
      verified_at: server.clock.now().toISOString(),
    });
    expect(await getKycState(server.platform, who)).toEqual({ status: 'verified', required: false, uploaded: [] });
    expect((await server.getTransaction(who.merchantTransactionId)).body.status).toBe('pending');

    // A later transaction of the same user: not required, and nothing more is taken.
    const later = await session('decide-verified');
    expect(await getKycState(server.platform, later)).toEqual({ status: 'verified', required: false, uploaded: [] });
    expect(await refusal(storeDocument(server.platform, { ...later, side: 'front', bytes: SAMPLE_JPEG }))).toBe('409 kyc_already_verified');
    expect(await refusal(submit(later, 'Lovelace'))).toBe('409 kyc_already_verified');
  });

  it('rejected: the identity fails, the submitting transaction fails with kyc_rejected, and a later transaction may try again', async () => {
    const who = await session('decide-rejected');
    await uploadPassport(who);
    await submit(who, 'REJECT');
    await decide();
    const { body: transaction } = await server.getTransaction(who.merchantTransactionId);
    expect(transaction).toMatchObject({ status: 'failed', failure_reason: 'kyc_rejected' });
    expect((await server.getKycStatus(who.partnerUserId)).body).toEqual({ partner_user_id: who.partnerUserId, status: 'failed' });
    expect(await getKycState(server.platform, who)).toEqual({
      status: 'failed',
      required: true,
      failure_reason: 'document_expired',
      uploaded: [],
    });
    expect(await verificationsOf(who)).toMatchObject([{ status: 'rejected', reason: 'document_expired' }]);
    // Not on the failed transaction …
    expect(await refusal(storeDocument(server.platform, { ...who, side: 'front', bytes: SAMPLE_JPEG }))).toBe(
      '409 transaction_not_pending',
    );
    // … but on a later one.
    const retry = await session('decide-rejected');
    await uploadPassport(retry);
    expect((await submit(retry, 'Lovelace')).status).toBe('pending');
    await decide();
    expect(await getKycState(server.platform, retry)).toMatchObject({ status: 'verified', required: false });
    expect((await server.getTransaction(who.merchantTransactionId)).body.status).toBe('failed');
  });

  it('rejected after the transaction was cancelled: the identity fails, the transaction stays as it is', async () => {
    const who = await session('decide-rejected-cancelled');
    await uploadPassport(who);
    await submit(who, 'reject');
    expect((await server.sandboxMove(who.merchantTransactionId, 'cancelled')).status).toBe(200);
    await decide();
    const { body: transaction } = await server.getTransaction(who.merchantTransactionId);
    expect(transaction.status).toBe('cancelled');
    expect(transaction).not.toHaveProperty('failure_reason');
    expect((await getKycState(server.platform, who)).status).toBe('failed');
    const events = await server.platform.db
      .selectFrom('provider_events')
      .select(['status', 'last_error'])
      .where('status', '!=', 'applied')
      .execute();
    expect(events).toEqual([]);
  });

  it('resubmit: the user uploads again on the same transaction, told why', async () => {
    const who = await session('decide-resubmit');
    await uploadPassport(who);
    await submit(who, 'RESUBMIT');
    await decide();
    expect(await getKycState(server.platform, who)).toEqual({
      status: 'not_started',
      required: true,
      resubmit_reason: 'blurry_image',
      uploaded: [],
    });
    expect((await server.getKycStatus(who.partnerUserId)).body.status).toBe('not_started');
    expect((await server.getTransaction(who.merchantTransactionId)).body.status).toBe('pending');
    await storeDocument(server.platform, { ...who, side: 'front', bytes: SAMPLE_JPEG });
    expect(await getKycState(server.platform, who)).toMatchObject({ resubmit_reason: 'blurry_image', uploaded: ['front'] });
    await storeDocument(server.platform, { ...who, side: 'selfie', bytes: SAMPLE_PNG });
    expect(await submit(who, 'Lovelace')).toEqual({ status: 'pending', required: true, uploaded: [] });
    await decide();
    expect((await getKycState(server.platform, who)).status).toBe('verified');
    expect((await verificationsOf(who)).map((row) => row.status)).toEqual(['resubmit_requested', 'verified']);
  });

  it('in review: stays pending, and takes no new submission meanwhile', async () => {
    const who = await session('decide-review');
    await uploadPassport(who);
    await submit(who, 'REVIEW');
    await decide();
    expect(await getKycState(server.platform, who)).toEqual({ status: 'pending', required: true, uploaded: [] });
    expect(await verificationsOf(who)).toMatchObject([{ status: 'in_review', reason: null }]);
    expect(await refusal(storeDocument(server.platform, { ...who, side: 'front', bytes: SAMPLE_JPEG }))).toBe('409 kyc_in_progress');
    expect(await refusal(submit(who, 'Lovelace'))).toBe('409 kyc_in_progress');
    // The review event applied again (a replay after a crash) changes nothing, not even a timestamp.
    const [verification] = await verificationsOf(who);
    const stored = await server.platform.db.selectFrom('provider_events').select('event').where('provider', '=', 'sandbox-kyc').execute();
    const review = stored.find((row) => row.event.providerVerificationId === verification!.provider_verification_id)!;
    const before = await snapshot(who);
    server.clock.advance(MINUTE);
    await applyKycDecision(server.platform, review.event as KycDecisionEvent);
    expect(await snapshot(who)).toEqual(before);
  });

  it('a duplicate callback is stored once, and an event applied again changes nothing', async () => {
    const who = await session('decide-duplicate');
    await uploadPassport(who);
    await submit(who, 'DUPLICATE');
    await decide();
    const stored = await server.platform.db
      .selectFrom('provider_events')
      .select(['event', 'status'])
      .where('provider', '=', 'sandbox-kyc')
      .execute();
    const [verification] = await verificationsOf(who);
    const mine = stored.filter((row) => row.event.providerVerificationId === verification!.provider_verification_id);
    expect(mine.map((row) => row.status)).toEqual(['applied']);
    const before = await snapshot(who);
    expect(before.identity.kyc_status).toBe('verified');
    server.clock.advance(MINUTE);
    await applyKycDecision(server.platform, mine[0]!.event as KycDecisionEvent);
    expect(await snapshot(who)).toEqual(before);
  });

  it('an older event delivered after a newer one changes nothing (OUT_OF_ORDER), nor does a late event of an earlier submission', async () => {
    const who = await session('decide-stale');
    await uploadPassport(who);
    await submit(who, 'OUT_OF_ORDER');
    await decide();
    expect(await getKycState(server.platform, who)).toMatchObject({ status: 'verified', required: false });
    expect(await verificationsOf(who)).toMatchObject([{ status: 'verified' }]);

    // An earlier submission asked to resubmit; the next one is in review.
    const other = await session('decide-stale-2');
    await uploadPassport(other);
    await submit(other, 'RESUBMIT');
    await decide();
    await uploadPassport(other);
    await submit(other, 'REVIEW');
    await decide();
    const [first, second] = await verificationsOf(other);
    const event = (row: typeof first, outcome: KycDecisionEvent['outcome'], occurredAt: Date, reason?: string): KycDecisionEvent => ({
      kind: 'kyc.decision',
      eventId: `evt_test_${outcome}_${occurredAt.getTime()}_${row!.id}`,
      provider: row!.provider,
      providerVerificationId: row!.provider_verification_id!,
      outcome,
      ...(reason ? { reason } : {}),
      occurredAt: occurredAt.toISOString(),
    });
    const before = await snapshot(other);
    expect(before.identity.kyc_status).toBe('pending');
    server.clock.advance(MINUTE);
    // The first submission's decision was final: a later "verified" for it changes nothing.
    await applyKycDecision(server.platform, event(first, 'verified', server.clock.now()));
    // The second's rejection, dated before the review it is in: stale.
    await applyKycDecision(server.platform, event(second, 'rejected', new Date(second!.decided_at!.getTime() - 1000), 'document_expired'));
    expect(await snapshot(other)).toEqual(before);
    // A newer decision on the current submission applies.
    await applyKycDecision(server.platform, event(second, 'rejected', server.clock.now(), 'document_expired'));
    const after = await snapshot(other);
    expect(after.identity.kyc_status).toBe('failed');
    expect(after.transaction).toMatchObject({ status: 'failed', failure_reason: 'kyc_rejected' });
    expect(after.verifications.map((row) => row.status)).toEqual(['resubmit_requested', 'rejected']);
  });

  it('checks what a submission needs: the sides of its type, a known type, a name', async () => {
    const who = await session('decide-needs');
    await storeDocument(server.platform, { ...who, side: 'front', bytes: SAMPLE_JPEG });
    await storeDocument(server.platform, { ...who, side: 'back', bytes: SAMPLE_JPEG });
    const missing = await submitVerification(server.platform, {
      ...who,
      documentType: 'national_id',
      person: { first_name: 'Ada', last_name: 'Lovelace' },
    }).catch((error: unknown) => error);
    expect(missing).toMatchObject({
      status: 400,
      code: 'missing_param',
      details: [{ field: 'documents.selfie', issue: 'is not uploaded' }],
    });
    const person = { first_name: 'Ada', last_name: 'Lovelace' };
    expect(await refusal(submitVerification(server.platform, { ...who, documentType: 'visa' as 'passport', person }))).toBe(
      '400 validation_error',
    );
    expect(
      await refusal(submitVerification(server.platform, { ...who, documentType: 'passport', person: { ...person, last_name: '' } })),
    ).toBe('400 validation_error');
    // A passport has no back: the uploaded back is not sent, and not kept.
    await storeDocument(server.platform, { ...who, side: 'selfie', bytes: SAMPLE_PNG });
    expect(await submitVerification(server.platform, { ...who, documentType: 'passport', person })).toMatchObject({
      status: 'pending',
      uploaded: [],
    });
    const documents = await server.platform.db
      .selectFrom('kyc_documents')
      .innerJoin('kyc_verifications', 'kyc_verifications.id', 'kyc_documents.verification_id')
      .select('kyc_documents.side')
      .where('kyc_verifications.merchant_transaction_id', '=', who.merchantTransactionId)
      .execute();
    expect(documents.map((row) => row.side).sort()).toEqual(['front', 'selfie']);
    await decide();
  });

  it('a provider that times out (TIMEOUT) answers ProviderError unavailable, and nothing is recorded as submitted', async () => {
    const who = await session('decide-timeout');
    await uploadPassport(who);
    const error = await submit(who, 'TIMEOUT').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ provider: 'sandbox-kyc', kind: 'unavailable', retryable: true });
    expect(await getKycState(server.platform, who)).toEqual({ status: 'not_started', required: true, uploaded: ['front', 'selfie'] });
    expect((await server.getKycStatus(who.partnerUserId)).body.status).toBe('not_started');
    expect(await verificationsOf(who)).toEqual([]);
    // The same uploads go through once the provider answers.
    expect((await submit(who, 'Lovelace')).status).toBe('pending');
    await decide();
    expect((await getKycState(server.platform, who)).status).toBe('verified');
  });

  it('two submissions at once: one is taken, the other refused', async () => {
    const who = await session('decide-concurrent');
    await uploadPassport(who);
    const results = await Promise.all([refusal(submit(who, 'Lovelace')), refusal(submit(who, 'Lovelace'))]);
    expect(results.sort()).toEqual(['409 kyc_in_progress', 'accepted']);
    expect(await verificationsOf(who)).toHaveLength(1);
    await decide();
  });

  it('a submission the provider never acknowledged (the process died) blocks for 5 minutes, then counts as never made', async () => {
    const who = await session('decide-abandoned');
    await uploadPassport(who);
    const sandbox = server.platform.providers.kyc;
    // A provider that takes the submission and never answers: as if this process died waiting.
    const hanging: KycProvider = {
      name: sandbox.name,
      submit: () => new Promise(() => {}),
      verifyCallback: (request) => sandbox.verifyCallback(request),
    };
    server.platform.providers.kyc = hanging;
    try {
      void submit(who, 'Lovelace');
      await expect.poll(async () => (await getKycState(server.platform, who)).status).toBe('pending');
    } finally {
      server.platform.providers.kyc = sandbox;
    }
    expect(await refusal(submit(who, 'Lovelace'))).toBe('409 kyc_in_progress');
    server.clock.advance(5 * MINUTE);
    expect(await submit(who, 'Lovelace')).toEqual({ status: 'pending', required: true, uploaded: [] });
    await decide();
    expect((await getKycState(server.platform, who)).status).toBe('verified');
    expect((await verificationsOf(who)).map((row) => [row.status, row.provider_verification_id === null])).toEqual([
      ['pending', true],
      ['verified', false],
    ]);
  });
});
