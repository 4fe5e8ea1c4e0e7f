import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateAddress } from '../../src/lib/address.ts';
import { ASSETS, type Asset, NETWORKS, type Network } from '../../src/lib/catalog.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import type { AllocateRequest, DepositAddressProvider } from '../../src/modules/settlement/deposit-address-provider.ts';

/**
 * The scenarios every DepositAddressProvider passes. `make` is called more than once: two instances
 * built alike stand for one deployment before and after a restart. Each request carries a derivation
 * index of its own, as the settlement module reserves one per transaction (allocate-deposit-address.ts).
 */
export interface DepositAddressQuirks {
  /** Networks this adapter gives no addresses on: it must throw ProviderError `rejected` there. */
  unsupportedNetworks?: readonly Network[];
}

/** Every (currency, network) the catalog enables. */
function everyAsset(): { currency: Asset; network: Network }[] {
  return (Object.entries(ASSETS) as [Asset, { networks: readonly Network[] }][]).flatMap(([currency, { networks }]) =>
    networks.map((network) => ({ currency, network })),
  );
}

export function describeDepositAddressProvider(
  label: string,
  make: () => DepositAddressProvider | Promise<DepositAddressProvider>,
  quirks: DepositAddressQuirks = {},
): void {
  const unsupported = new Set<Network>(quirks.unsupportedNetworks ?? []);
  let lastIndex = 0;
  const request = (currency: Asset, network: Network): AllocateRequest => ({
    transactionId: randomUUID(),
    index: lastIndex++,
    currency,
    network,
  });
  const supported = everyAsset().filter(({ network }) => !unsupported.has(network));

  // Scenarios that cannot apply to this adapter are left out rather than reported as skipped.
  const itWhen = (condition: boolean) => (condition ? it : () => undefined);

  describe(`DepositAddressProvider conformance: ${label}`, () => {
    let provider: DepositAddressProvider;
    beforeAll(async () => {
      provider = await make();
    });

    it('has a short name for logs and errors', () => {
      expect(provider.name).toMatch(/^[a-z][a-z0-9-]{1,30}$/);
    });

    itWhen(supported.length > 0)('gives an address valid for its network (checksum included) for every enabled asset', async () => {
      for (const { currency, network } of supported) {
        const address = await provider.allocate(request(currency, network));
        const check = validateAddress(NETWORKS[network].addressFormat, address);
        expect(check, `${currency} on ${network}: ${address}`).toEqual({ ok: true, address });
      }
    });

    itWhen(supported.length > 0)('gives one transaction the same address every time, also after a restart', async () => {
      const again = await make();
      for (const { currency, network } of supported) {
        const once = request(currency, network);
        const first = await provider.allocate(once);
        expect(await provider.allocate(once), `${currency} on ${network}`).toBe(first);
        expect(await again.allocate(once), `${currency} on ${network} after a restart`).toBe(first);
      }
    });

    itWhen(supported.length > 0)('gives every transaction an address of its own', async () => {
      for (const network of new Set(supported.map(({ network }) => network))) {
        const currency = supported.find((entry) => entry.network === network)!.currency;
        const addresses = await Promise.all(Array.from({ length: 25 }, () => provider.allocate(request(currency, network))));
        expect(new Set(addresses).size, network).toBe(addresses.length);
      }
    });

    itWhen(unsupported.size > 0)('refuses the networks it does not serve with ProviderError rejected', async () => {
      for (const { currency, network } of everyAsset().filter(({ network }) => unsupported.has(network))) {
        const error = await provider.allocate(request(currency, network)).then(
          (address) => new Error(`gave ${address}`),
          (caught: unknown) => caught,
        );
        expect(error, `${currency} on ${network}`).toBeInstanceOf(ProviderError);
        expect(error).toMatchObject({ provider: provider.name, kind: 'rejected' });
      }
    });
  });
}
