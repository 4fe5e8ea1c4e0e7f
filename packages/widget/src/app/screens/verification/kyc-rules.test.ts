import { describe, expect, it } from 'vitest';
import {
  acceptAttribute,
  checkUpload,
  DOCUMENT_TYPES,
  isDocumentType,
  isPrintable,
  MAX_UPLOAD_BYTES,
  megabytes,
  missingForSubmit,
  neededSides,
  reasonOf,
  sniffContentType,
  submitBody,
} from './kyc-rules.ts';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PDF = new TextEncoder().encode('%PDF-1.7');
const HEIC = new Uint8Array([0x00, 0x00, 0x00, 0x18, 0x66, 0x74, 0x79, 0x70]);
const person = { firstName: 'Ada', lastName: 'Lovelace', documentNumber: '' };

describe('the sides a document type needs', () => {
  it('asks a passport for its front and a selfie, the cards also for their back', () => {
    expect(neededSides('passport')).toEqual(['front', 'selfie']);
    expect(neededSides('national_id')).toEqual(['front', 'back', 'selfie']);
    expect(neededSides('driving_licence')).toEqual(['front', 'back', 'selfie']);
  });

  it('knows the three types the platform takes', () => {
    expect(DOCUMENT_TYPES).toEqual(['passport', 'national_id', 'driving_licence']);
    expect(isDocumentType('national_id')).toBe(true);
    expect(isDocumentType('visa')).toBe(false);
    expect(isDocumentType(undefined)).toBe(false);
  });
});

describe('the files a side takes', () => {
  it('reads the type from the magic number', () => {
    expect(sniffContentType(JPEG)).toBe('image/jpeg');
    expect(sniffContentType(PNG)).toBe('image/png');
    expect(sniffContentType(PDF)).toBe('application/pdf');
    expect(sniffContentType(HEIC)).toBeUndefined();
    expect(sniffContentType(new TextEncoder().encode('hello'))).toBeUndefined();
    // a truncated PNG signature (line endings mangled on the way) is not a PNG
    expect(sniffContentType(PNG.slice(0, 4))).toBeUndefined();
    expect(sniffContentType(new Uint8Array())).toBeUndefined();
  });

  it('takes a photo or a PDF for the document, a photo only for the selfie', () => {
    expect(acceptAttribute('front')).toBe('image/jpeg,image/png,application/pdf');
    expect(acceptAttribute('selfie')).toBe('image/jpeg,image/png');
    expect(checkUpload('front', { size: 1000 }, PDF)).toBeNull();
    expect(checkUpload('back', { size: 1000 }, PNG)).toBeNull();
    expect(checkUpload('selfie', { size: 1000 }, JPEG)).toBeNull();
    expect(checkUpload('selfie', { size: 1000 }, PDF)).toBe('wrong_type');
    expect(checkUpload('front', { size: 1000 }, HEIC)).toBe('wrong_type');
  });

  it('refuses an empty file and one over the platform limit (10 MB), accepts one of exactly the limit', () => {
    expect(MAX_UPLOAD_BYTES).toBe(10 * 1024 * 1024);
    expect(checkUpload('front', { size: 0 }, new Uint8Array())).toBe('empty');
    expect(checkUpload('front', { size: MAX_UPLOAD_BYTES + 1 }, JPEG)).toBe('too_large');
    expect(checkUpload('front', { size: MAX_UPLOAD_BYTES }, JPEG)).toBeNull();
    expect(checkUpload('front', { size: 2000 }, JPEG, 1000)).toBe('too_large');
  });

  it('says the limit in megabytes', () => {
    expect(megabytes(MAX_UPLOAD_BYTES)).toBe('10 MB');
    expect(megabytes(5_000_000)).toBe('4.8 MB');
  });
});

describe('submitting', () => {
  it('lists the names, then the missing sides of the chosen type', () => {
    expect(missingForSubmit('passport', [], { firstName: '', lastName: ' ', documentNumber: '' })).toEqual([
      'first_name',
      'last_name',
      'front',
      'selfie',
    ]);
    expect(missingForSubmit('national_id', ['front', 'selfie'], person)).toEqual(['back']);
    expect(missingForSubmit('passport', ['front', 'selfie'], person)).toEqual([]);
    // a back left over from another type is not needed for a passport
    expect(missingForSubmit('passport', ['front', 'back', 'selfie'], person)).toEqual([]);
  });

  it('refuses what the platform refuses: invisible characters, too long', () => {
    expect(isPrintable('Zoë', 100)).toBe(true);
    expect(isPrintable('Zo\u200be', 100)).toBe(false);
    expect(isPrintable('a\u0007', 100)).toBe(false);
    expect(isPrintable('x'.repeat(101), 100)).toBe(false);
    expect(isPrintable(`  ${'x'.repeat(100)}  `, 100)).toBe(true);
    expect(missingForSubmit('passport', ['front', 'selfie'], { ...person, documentNumber: 'X'.repeat(65) })).toEqual(['document_number']);
  });

  it('sends trimmed names, and a document number only when one was typed', () => {
    expect(submitBody('passport', { firstName: ' Ada ', lastName: 'Lovelace ', documentNumber: '  ' })).toEqual({
      document_type: 'passport',
      first_name: 'Ada',
      last_name: 'Lovelace',
    });
    expect(submitBody('driving_licence', { ...person, documentNumber: ' DL-1 ' })).toEqual({
      document_type: 'driving_licence',
      first_name: 'Ada',
      last_name: 'Lovelace',
      document_number: 'DL-1',
    });
  });
});

describe('reasons', () => {
  it('explains the known ones and reads any other as the general one', () => {
    expect(reasonOf('blurry_image')).toBe('blurry_image');
    expect(reasonOf('document_expired')).toBe('document_expired');
    expect(reasonOf('something_new')).toBe('other');
    expect(reasonOf(undefined)).toBe('other');
  });
});
