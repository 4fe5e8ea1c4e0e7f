import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { ApiError } from '../../lib/errors.ts';
import { errorResponses, OptionalText, Text } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { DOCUMENT_SIDES, DOCUMENT_TYPES, storeDocument, submitVerification } from '../kyc/kyc-service.ts';
import { answerChallenge, type PaymentSourceInput, PaymentSourceSchema, startPayment } from '../payments/payment-service.ts';
import { loadEmbedState, loadTransaction } from './embed-state-loader.ts';
import type { WidgetCredentialClaims } from './widget-credential.ts';

const SubmitBody = Type.Object(
  {
    document_type: Type.Enum(DOCUMENT_TYPES),
    first_name: Text(100),
    last_name: Text(100),
    document_number: OptionalText(64),
  },
  { additionalProperties: false },
);

const ChallengeBody = Type.Object({ answer: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

const stepSchema = (summary: string, extra: Record<string, unknown> = {}) => ({
  summary,
  tags: ['embed'],
  security: [{ widgetCredential: [] }],
  ...extra,
});

/**
 * The identity and payment steps of the embed API. Each answers the whole state, so the iframe
 * draws the next step from one reply. Documents are uploaded one side per request as the raw file
 * (its type is read from its bytes); card details pass through to the payment adapter and are never
 * stored or echoed.
 */
export function registerVerificationAndPaymentRoutes(app: FastifyInstance, platform: Platform): void {
  const claimsOf = (request: { embed: unknown }) => request.embed as WidgetCredentialClaims;

  app.register(async (uploads) => {
    // The file is the body, whatever it claims to be; the kyc module reads its type from the bytes
    // and answers 413 past KYC_MAX_UPLOAD_BYTES (a little slack here lets it say so itself).
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: platform.config.kycMaxUploadBytes + 1 }, (_request, body, done) =>
      done(null, body),
    );
    uploads.put<{ Params: { side: (typeof DOCUMENT_SIDES)[number] } }>(
      '/kyc/documents/:side',
      {
        schema: stepSchema('Upload one side of the identity document, or the selfie, as the raw file (JPEG, PNG or PDF)', {
          params: Type.Object({ side: Type.Enum(DOCUMENT_SIDES) }),
          response: { ...errorResponses(400, 401, 404, 409, 413, 415, 429) },
        }),
      },
      async (request) => {
        const claims = claimsOf(request);
        const transaction = await loadTransaction(platform, claims);
        await storeDocument(platform, {
          partnerId: claims.pid,
          partnerUserId: transaction.partner_user_id,
          merchantTransactionId: claims.sub,
          side: request.params.side,
          bytes: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        });
        return loadEmbedState(platform, claims);
      },
    );
  });

  app.post<{ Body: Static<typeof SubmitBody> }>(
    '/kyc/submit',
    {
      schema: stepSchema('Submit the uploaded document and selfie for verification', {
        body: SubmitBody,
        response: { ...errorResponses(400, 401, 404, 409, 429, 502) },
      }),
    },
    async (request) => {
      const claims = claimsOf(request);
      const transaction = await loadTransaction(platform, claims);
      const { document_type, first_name, last_name, document_number } = request.body;
      await submitVerification(platform, {
        partnerId: claims.pid,
        partnerUserId: transaction.partner_user_id,
        merchantTransactionId: claims.sub,
        documentType: document_type,
        person: { first_name, last_name, ...(document_number ? { document_number } : {}) },
      });
      return loadEmbedState(platform, claims);
    },
  );

  app.post<{ Body: PaymentSourceInput }>(
    '/payments',
    {
      schema: stepSchema('Pay the locked quote: a card, or an Apple Pay / Google Pay token', {
        body: PaymentSourceSchema,
        response: { ...errorResponses(400, 401, 404, 409, 429, 502) },
      }),
    },
    async (request) => {
      const claims = claimsOf(request);
      // Payment comes after verification: a user who is not verified is never charged.
      const before = await loadEmbedState(platform, claims);
      if (before.verification.required) {
        throw new ApiError('verification_required', `Verify the user's identity first (verification is ${before.verification.status}).`);
      }
      await startPayment(platform, { partnerId: claims.pid, merchantTransactionId: claims.sub, source: request.body });
      return loadEmbedState(platform, claims);
    },
  );

  app.post<{ Params: { attempt_id: string }; Body: Static<typeof ChallengeBody> }>(
    '/payments/:attempt_id/challenge',
    {
      schema: stepSchema('Answer the 3-D Secure challenge of a payment attempt', {
        params: Type.Object({ attempt_id: Text(64) }),
        body: ChallengeBody,
        response: { ...errorResponses(400, 401, 404, 409, 429, 502) },
      }),
    },
    async (request) => {
      const claims = claimsOf(request);
      await answerChallenge(platform, {
        partnerId: claims.pid,
        merchantTransactionId: claims.sub,
        attemptId: request.params.attempt_id,
        answer: request.body.answer,
      });
      return loadEmbedState(platform, claims);
    },
  );
}
