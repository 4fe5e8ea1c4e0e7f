import { expect, it } from 'vitest';
import { ProviderError } from '../../src/lib/provider-error.ts';
import { CallbackRejectedError } from '../../src/modules/callbacks/inbound-event.ts';
import { NoKycProvider } from '../../src/modules/kyc/no-kyc-provider.ts';
import { sampleDocuments } from './kyc.ts';

it('none (production without a KYC vendor) refuses every submission, says retrying will not help, and takes no callback', async () => {
  const none = new NoKycProvider();
  const error = await none
    .submit({
      verificationId: 'kyv_0123456789abcdefghij',
      documentType: 'passport',
      documents: sampleDocuments('passport'),
      person: { first_name: 'Ada', last_name: 'Lovelace' },
    })
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ProviderError);
  expect(error).toMatchObject({ provider: 'none', kind: 'rejected', retryable: false });
  expect(() => none.verifyCallback({ rawBody: Buffer.from('{}'), headers: {} })).toThrow(CallbackRejectedError);
});
