import { randomBase62 } from '../../lib/ids.ts';

/** `kyv_…`: one submission to a KYC provider, also the reference the provider echoes. */
export const newVerificationId = (): string => `kyv_${randomBase62(20)}`;

/** `kyd_…`: one uploaded side; the associated data its ciphertext is bound to. */
export const newDocumentId = (): string => `kyd_${randomBase62(20)}`;
