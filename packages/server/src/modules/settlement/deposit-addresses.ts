import { createHmac } from 'node:crypto';
import { deriveSandboxAddress } from '../../lib/address.ts';
import { NETWORKS, type Asset, type Network } from '../../lib/catalog.ts';

/** Gives each sell transaction its own address to receive the user's crypto on. */
export interface DepositAddressProvider {
  readonly name: string;
  allocate(request: { transactionId: string; currency: Asset; network: Network }): Promise<string>;
}

/**
 * Sandbox deposit addresses: valid for their network (checksums included) and stable per
 * transaction, but nobody holds their keys, so they must never receive real funds.
 */
export class SandboxDepositAddresses implements DepositAddressProvider {
  readonly name = 'sandbox';
  private readonly seedKey: Buffer;
  constructor(seedKey: Buffer) {
    this.seedKey = seedKey;
  }
  async allocate(request: { transactionId: string; currency: Asset; network: Network }): Promise<string> {
    const seed = createHmac('sha256', this.seedKey).update(`${request.network}:${request.transactionId}`).digest();
    return deriveSandboxAddress(NETWORKS[request.network].addressFormat, seed);
  }
}
