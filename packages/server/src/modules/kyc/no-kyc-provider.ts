import { ProviderError } from '../../lib/provider-error.ts';
import { CallbackRejectedError, type CallbackRequest } from '../callbacks/inbound-event.ts';
import type { KycDecisionEvent } from './kyc-decision.ts';
import type { KycProvider, KycSubmission, KycSubmitted } from './kyc-provider.ts';

/**
 * KYC_PROVIDER=none, production's default until a vendor adapter lands: production refuses the
 * sandbox (it approves on a name), so without this it could not start at all. Submissions are
 * refused with 502 `provider_error`, and nothing calls back.
 */
export class NoKycProvider implements KycProvider {
  readonly name = 'none';

  async submit(_request: KycSubmission): Promise<KycSubmitted> {
    throw new ProviderError({
      provider: this.name,
      kind: 'rejected',
      message: 'no KYC provider is configured; identities cannot be verified',
    });
  }

  verifyCallback(_request: CallbackRequest): KycDecisionEvent {
    throw new CallbackRejectedError('no KYC provider is configured');
  }
}
