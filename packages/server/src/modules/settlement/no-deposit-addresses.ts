import { ProviderError } from '../../lib/provider-error.ts';
import type { DepositAddressProvider } from './deposit-address-provider.ts';

/**
 * DEPOSIT_ADDRESS_PROVIDER=none, the production default until real (HD-derived) addresses exist:
 * buy works, and every sell session is refused with 502 provider_error rather than handed an address
 * whose keys nobody holds.
 */
export class NoDepositAddresses implements DepositAddressProvider {
  readonly name = 'none';

  async allocate(): Promise<string> {
    throw new ProviderError({
      provider: this.name,
      kind: 'rejected',
      message: 'no deposit address provider is configured; the off-ramp cannot take deposits',
    });
  }
}
