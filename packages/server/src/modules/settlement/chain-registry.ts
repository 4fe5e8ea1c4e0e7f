import { NETWORKS, type Network } from '../../lib/catalog.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { ChainAdapter, Chains } from './chain-adapter.ts';

/**
 * The adapters of every network, as src/providers.ts built them from configuration (tests build one
 * around a single adapter). A network without an adapter (CHAIN_ADAPTER_<NETWORK>=none) is refused
 * with ProviderError `rejected`, so a buy on it fails its settlement instead of waiting forever.
 */
export class ChainRegistry implements Chains {
  readonly networks: readonly Network[];
  private readonly adapters: Partial<Record<Network, ChainAdapter>>;
  private readonly confirmations: Partial<Record<Network, number>>;

  constructor(options: { adapters: Partial<Record<Network, ChainAdapter>>; confirmations: Partial<Record<Network, number>> }) {
    this.adapters = options.adapters;
    this.confirmations = options.confirmations;
    this.networks = (Object.keys(NETWORKS) as Network[]).filter((network) => options.adapters[network] !== undefined);
    for (const network of this.networks) {
      if (!this.adapters[network]!.networks.includes(network))
        throw new Error(`the ${this.adapters[network]!.name} adapter does not serve ${network}`);
      const depth = this.confirmations[network];
      if (depth === undefined || !Number.isInteger(depth) || depth < 1)
        throw new Error(`${network} needs a confirmation depth of at least 1`);
    }
  }

  /** Every network of `adapter`, each needing `confirmations` (tests). */
  static of(adapter: ChainAdapter, confirmations: number | Partial<Record<Network, number>>): ChainRegistry {
    return new ChainRegistry({
      adapters: Object.fromEntries(adapter.networks.map((network) => [network, adapter])),
      confirmations: Object.fromEntries(
        adapter.networks.map((network) => [network, typeof confirmations === 'number' ? confirmations : confirmations[network]]),
      ),
    });
  }

  chainFor(network: Network): ChainAdapter {
    const adapter = this.adapters[network];
    if (!adapter) {
      throw new ProviderError({
        provider: 'none',
        kind: 'rejected',
        message: `no chain adapter is configured for ${network} (CHAIN_ADAPTER_${network}=none): nothing can be sent or watched there`,
      });
    }
    return adapter;
  }

  confirmationsFor(network: Network): number {
    const depth = this.confirmations[network];
    if (depth === undefined) throw this.chainFor(network) && new Error(`no confirmation depth for ${network}`);
    return depth;
  }
}
