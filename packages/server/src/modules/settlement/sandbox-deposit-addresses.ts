import { createHmac } from 'node:crypto';
import { deriveSandboxAddress } from '../../lib/address.ts';
import { isNetwork, NETWORKS } from '../../lib/catalog.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { AllocateRequest, DepositAddressProvider } from './deposit-address-provider.ts';

/**
 * Sandbox deposit addresses: valid for their network (checksums included) and stable per
 * transaction, but nobody holds their keys, so they must never receive real funds (production
 * refuses this adapter).
 */
export class SandboxDepositAddresses implements DepositAddressProvider {
  readonly name = 'sandbox';
  private readonly seedKey: Buffer;

  /** `seedKey`: a key of its own, derived from the signing secret, so addresses differ per deployment. */
  constructor(options: { seedKey: Buffer }) {
    this.seedKey = options.seedKey;
  }

  async allocate({ transactionId, network }: AllocateRequest): Promise<string> {
    if (!isNetwork(network))
      throw new ProviderError({ provider: this.name, kind: 'rejected', message: `no deposit addresses on network ${network}` });
    const seed = createHmac('sha256', this.seedKey).update(`${network}:${transactionId}`).digest();
    return deriveSandboxAddress(NETWORKS[network].addressFormat, seed);
  }
}
