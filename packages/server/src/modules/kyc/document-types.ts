/**
 * What the identity step collects, without I/O: the document types a user may present, the sides
 * each one needs, and the file types each side may be. One array per vocabulary serves the type, the
 * SQL CHECK and the validation.
 */
export const DOCUMENT_TYPES = ['passport', 'national_id', 'driving_licence'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** `front` and `back` of the document, and the liveness `selfie`. */
export const DOCUMENT_SIDES = ['front', 'back', 'selfie'] as const;
export type DocumentSide = (typeof DOCUMENT_SIDES)[number];

/** What an upload may be, decided from its first bytes (never from its name or declared type). */
export const DOCUMENT_CONTENT_TYPES = ['image/jpeg', 'image/png', 'application/pdf'] as const;
export type DocumentContentType = (typeof DOCUMENT_CONTENT_TYPES)[number];

/** A passport is one page; an identity card and a driving licence have a back. */
const SIDES_OF: Record<DocumentType, readonly DocumentSide[]> = {
  passport: ['front', 'selfie'],
  national_id: ['front', 'back', 'selfie'],
  driving_licence: ['front', 'back', 'selfie'],
};

/** The sides a submission of this document type must include, in a fixed order. */
export function requiredSides(documentType: DocumentType): readonly DocumentSide[] {
  return SIDES_OF[documentType];
}

/** A scan of the document may be a PDF; a liveness selfie is a photo. */
export function acceptedContentTypes(side: DocumentSide): readonly DocumentContentType[] {
  return side === 'selfie' ? ['image/jpeg', 'image/png'] : DOCUMENT_CONTENT_TYPES;
}

export function isDocumentType(value: unknown): value is DocumentType {
  return typeof value === 'string' && (DOCUMENT_TYPES as readonly string[]).includes(value);
}

export function isDocumentSide(value: unknown): value is DocumentSide {
  return typeof value === 'string' && (DOCUMENT_SIDES as readonly string[]).includes(value);
}
