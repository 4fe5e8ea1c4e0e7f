/**
 * The kyc module's use cases, as other modules and the HTTP layer call them (the widget's embed API
 * uploads and submits; the callbacks worker applies decisions; the purge job deletes old documents).
 */
export { applyKycDecision } from './apply-kyc-decision.ts';
export type { DocumentContentType, DocumentSide, DocumentType } from './document-types.ts';
export { DOCUMENT_SIDES, DOCUMENT_TYPES, requiredSides } from './document-types.ts';
export type { KycSubject } from './find-kyc-subject.ts';
export { getKycState, type KycState } from './get-kyc-state.ts';
export { KYC_DECISION, type KycDecisionEvent, type KycOutcome } from './kyc-decision.ts';
export type { KycPerson } from './kyc-provider.ts';
export { purgeExpiredDocuments } from './purge-expired-documents.ts';
export { type StoreDocumentRequest, type StoredDocument, storeDocument } from './store-document.ts';
export { type SubmitVerificationRequest, submitVerification } from './submit-verification.ts';
