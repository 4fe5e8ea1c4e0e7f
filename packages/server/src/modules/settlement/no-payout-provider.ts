import { ProviderError } from '../../lib/provider-error.ts';
import { CallbackRejectedError } from '../callbacks/inbound-event.ts';
import type { PayoutAnswer, PayoutProvider, PayoutUpdateEvent, TokenizedCard } from './payout-provider.ts';

/**
 * PAYOUT_PROVIDER=none, the production default until a real payout vendor is configured: a sell's
 * payout card is refused (502 provider_error) before the user sends any crypto, so no deposit is
 * ever taken that could not be paid out. It has no callbacks to accept.
 */
export class NoPayoutProvider implements PayoutProvider {
  readonly name = 'no-payouts';

  async tokenizeCard(): Promise<TokenizedCard> {
    throw this.refusal();
  }

  async payout(): Promise<PayoutAnswer> {
    throw this.refusal();
  }

  verifyCallback(): PayoutUpdateEvent {
    throw new CallbackRejectedError('no payout provider is configured');
  }

  private refusal(): ProviderError {
    return new ProviderError({
      provider: this.name,
      kind: 'rejected',
      message: 'no payout provider is configured; sells cannot be paid out',
    });
  }
}
