import type { Network } from '../../lib/catalog.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { Platform } from '../../platform.ts';

/**
 * Refuses a buy the platform could not deliver: no chain adapter sends on its network
 * (CHAIN_ADAPTER_<NETWORK>=none, production's default for networks without a node). Checked when the
 * session is created, so the user is never charged for crypto that would only be refunded later.
 *
 * @throws ProviderError `rejected` (the session answers 502 provider_error; nothing is created).
 */
export function assertCanDeliver(platform: Platform, network: Network): void {
  if (!platform.providers.chains.networks.includes(network)) {
    throw new ProviderError({
      provider: 'settlement',
      kind: 'rejected',
      message: `no chain adapter sends on ${network} (CHAIN_ADAPTER_${network}); buys there are refused`,
    });
  }
}
