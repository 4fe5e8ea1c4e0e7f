import { ProviderError } from '../../lib/provider-error.ts';
import { CallbackRejectedError } from '../callbacks/inbound-event.ts';
import type { AuthorizeAnswer, PaymentProvider, PaymentUpdateEvent, RefundAnswer } from './payment-provider.ts';

/**
 * PAYMENT_PROVIDER=none, the production default until a real acquirer is configured: everything
 * else works, and every payment is refused with 502 provider_error rather than taken by the sandbox.
 * It has no callbacks to accept.
 */
export class NoPaymentProvider implements PaymentProvider {
  readonly name = 'no-payments';

  async authorize(): Promise<AuthorizeAnswer> {
    throw this.refusal();
  }

  async answerChallenge(): Promise<{ status: 'pending' }> {
    throw this.refusal();
  }

  async refund(): Promise<RefundAnswer> {
    throw this.refusal();
  }

  verifyCallback(): PaymentUpdateEvent {
    throw new CallbackRejectedError('no payment provider is configured');
  }

  private refusal(): ProviderError {
    return new ProviderError({ provider: this.name, kind: 'rejected', message: 'no payment provider is configured; buys cannot be paid' });
  }
}
