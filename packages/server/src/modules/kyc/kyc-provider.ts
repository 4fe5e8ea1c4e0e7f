import type { CallbackRequest, CallbackSource } from '../callbacks/inbound-event.ts';
import type { DocumentContentType, DocumentSide, DocumentType } from './document-types.ts';
import type { KycDecisionEvent } from './kyc-decision.ts';

/**
 * Who verifies identities. The kyc module owns this interface; adapters implement it (the sandbox
 * beside it, vendors under src/providers/), and src/providers.ts picks one from configuration
 * (KYC_PROVIDER). Submitting is synchronous; the decision arrives later as a signed callback at
 * POST /providers/{name}/callbacks, which `verifyCallback` turns into a KycDecisionEvent. An adapter
 * that cannot answer throws ProviderError (lib/provider-error.ts), never anything else.
 */
export interface KycProvider extends CallbackSource {
  /** A short stable id ("sandbox-kyc"): the `{name}` of its callback route, in logs and in ProviderError.provider. */
  readonly name: string;

  /**
   * Hands one submission (the document's sides, the selfie and the person's details) to the provider.
   * Nothing is decided yet: the answer only acknowledges it, and the decision comes by callback.
   *
   * @param request.verificationId Our id of this submission (`kyv_…`): the provider keeps it as its
   *   reference (echoed in callbacks) and as the idempotency key of the call.
   * @param request.documents The decrypted sides, each once; exactly the sides `requiredSides` names.
   * @param request.person The name on the document and its number; PII, so an adapter sends it and
   *   never logs it.
   * @returns The provider's id of the verification, which its callbacks name.
   * @throws ProviderError `unavailable` when the provider cannot be reached or answers too late (the
   *   submission is then not recorded, and the user may try again), `invalid_response` when its answer
   *   is malformed, `rejected` when it refuses the request as such.
   *
   * @example
   * const { providerVerificationId } = await kyc.submit({
   *   verificationId: 'kyv_4Hq9TzLw2VbR7nXe0KsY',
   *   documentType: 'passport',
   *   documents: [
   *     { side: 'front', contentType: 'image/jpeg', bytes: front },
   *     { side: 'selfie', contentType: 'image/png', bytes: selfie },
   *   ],
   *   person: { first_name: 'Ada', last_name: 'Lovelace', document_number: 'X1234567' },
   * });
   * // { providerVerificationId: 'skv_…', status: 'pending' }; a decision callback follows
   */
  submit(request: KycSubmission): Promise<KycSubmitted>;

  /**
   * Checks a callback's signature over the raw body in constant time and its timestamp against the
   * clock, then reduces the vendor's payload to one KycDecisionEvent.
   *
   * @throws CallbackRejectedError when the signature, the timestamp or the payload is not acceptable.
   *
   * @example
   * const event = kyc.verifyCallback({ rawBody, headers });
   * // { kind: 'kyc.decision', eventId: 'evt_…', provider: 'sandbox-kyc', providerVerificationId: 'skv_…',
   * //   verificationId: 'kyv_…', outcome: 'rejected', reason: 'document_expired', occurredAt: '2026-11-21T12:00:03.000Z' }
   */
  verifyCallback(request: CallbackRequest): KycDecisionEvent;
}

export interface KycDocumentInput {
  side: DocumentSide;
  /** As sniffed from the bytes when uploaded. */
  contentType: DocumentContentType;
  bytes: Buffer;
}

/** The person as the document names them. */
export interface KycPerson {
  first_name: string;
  last_name: string;
  document_number?: string;
}

export interface KycSubmission {
  verificationId: string;
  documentType: DocumentType;
  documents: KycDocumentInput[];
  person: KycPerson;
}

export interface KycSubmitted {
  providerVerificationId: string;
  status: 'pending';
}
