/**
 * The identity step's rules, without DOM or I/O: the document types, the sides each one needs, the
 * files a side takes (read from the first bytes, as the platform does) and what is still missing
 * before the user can submit. The platform checks all of it again; these only spare a round trip and
 * let the widget say what is wrong in the user's words.
 */

export const DOCUMENT_TYPES = ['passport', 'national_id', 'driving_licence'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** The two sides of the document and the liveness selfie. */
export type Side = 'front' | 'back' | 'selfie';

/**
 * The platform's KYC_MAX_UPLOAD_BYTES as it ships (10 MB). An operator who lowers it still gets a
 * readable 413 from the platform; this only catches the obvious case before the upload starts.
 */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

export type ContentType = 'image/jpeg' | 'image/png' | 'application/pdf';

export function isDocumentType(value: unknown): value is DocumentType {
  return typeof value === 'string' && (DOCUMENT_TYPES as readonly string[]).includes(value);
}

/** The sides a submission of this type needs, in the order the user is asked for them: a passport has no back. */
export function neededSides(type: DocumentType): Side[] {
  return type === 'passport' ? ['front', 'selfie'] : ['front', 'back', 'selfie'];
}

/** A document side may be a photo or a PDF scan; the selfie is a photo. */
export function acceptedTypes(side: Side): ContentType[] {
  return side === 'selfie' ? ['image/jpeg', 'image/png'] : ['image/jpeg', 'image/png', 'application/pdf'];
}

/** The file input's `accept` attribute for a side. */
export function acceptAttribute(side: Side): string {
  return acceptedTypes(side).join(',');
}

/** The file type from its magic number (JPEG FF D8 FF, PNG's 8-byte signature, "%PDF-"), else undefined. */
export function sniffContentType(head: Uint8Array): ContentType | undefined {
  for (const [type, magic] of SIGNATURES) {
    if (head.length >= magic.length && magic.every((byte, index) => head[index] === byte)) return type;
  }
  return undefined;
}

const SIGNATURES: ReadonlyArray<readonly [ContentType, readonly number[]]> = [
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['application/pdf', [0x25, 0x50, 0x44, 0x46, 0x2d]],
];

/** How many first bytes `checkUpload` needs to read. */
export const HEAD_BYTES = 8;

export type UploadProblem = 'empty' | 'too_large' | 'wrong_type';

/**
 * Why a file cannot be uploaded for this side, or null when it can. The type comes from the file's
 * first bytes (`head`), not from its name or declared type: a HEIC photo renamed .jpg is refused here
 * as it would be by the platform.
 */
export function checkUpload(side: Side, file: { size: number }, head: Uint8Array, maxBytes = MAX_UPLOAD_BYTES): UploadProblem | null {
  if (file.size === 0) return 'empty';
  if (file.size > maxBytes) return 'too_large';
  const type = sniffContentType(head);
  return type && acceptedTypes(side).includes(type) ? null : 'wrong_type';
}

/** "10 MB" for a byte count (the limit as the user reads it). */
export function megabytes(bytes: number): string {
  const value = bytes / (1024 * 1024);
  return `${Number.isInteger(value) ? value : value.toFixed(1)} MB`;
}

export interface PersonInput {
  firstName: string;
  lastName: string;
  documentNumber: string;
}

/** The characters the platform refuses in a name: controls and invisible marks (bidi, zero-width, BOM). */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;

export const NAME_MAX = 100;
export const DOCUMENT_NUMBER_MAX = 64;

/** Whether a typed value is one the platform takes: not blank, printable, within `max` once trimmed. */
export function isPrintable(value: string, max: number): boolean {
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= max && !INVISIBLE.test(trimmed);
}

export type Missing = Side | 'first_name' | 'last_name' | 'document_number';

/**
 * What the user still has to give before submitting, in the form's order: each needed side not yet
 * uploaded, a missing or unusable name, a document number that was typed but is unusable.
 */
export function missingForSubmit(type: DocumentType, uploaded: readonly string[], person: PersonInput): Missing[] {
  const missing: Missing[] = [];
  if (!isPrintable(person.firstName, NAME_MAX)) missing.push('first_name');
  if (!isPrintable(person.lastName, NAME_MAX)) missing.push('last_name');
  if (person.documentNumber.trim() !== '' && !isPrintable(person.documentNumber, DOCUMENT_NUMBER_MAX)) missing.push('document_number');
  for (const side of neededSides(type)) if (!uploaded.includes(side)) missing.push(side);
  return missing;
}

export interface SubmitBody {
  document_type: DocumentType;
  first_name: string;
  last_name: string;
  document_number?: string;
}

/** POST /kyc/submit's body: trimmed names, the document number only when one was typed. */
export function submitBody(type: DocumentType, person: PersonInput): SubmitBody {
  const documentNumber = person.documentNumber.trim();
  return {
    document_type: type,
    first_name: person.firstName.trim(),
    last_name: person.lastName.trim(),
    ...(documentNumber ? { document_number: documentNumber } : {}),
  };
}

/**
 * The reasons a verifier gives for asking again or declining that the widget can explain; any
 * other code reads as the general one. The sandbox sends `blurry_image` (resubmit) and
 * `document_expired` (declined).
 */
export const KNOWN_REASONS = [
  'blurry_image',
  'glare',
  'document_expired',
  'document_unreadable',
  'document_incomplete',
  'unsupported_document',
  'face_mismatch',
  'selfie_unclear',
] as const;
export type Reason = (typeof KNOWN_REASONS)[number] | 'other';

export function reasonOf(code: string | undefined | null): Reason {
  return (KNOWN_REASONS as readonly string[]).includes(code ?? '') ? (code as Reason) : 'other';
}
