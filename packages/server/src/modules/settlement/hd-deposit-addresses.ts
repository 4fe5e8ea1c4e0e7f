import type { AddressFormat } from '../../lib/address.ts';
import { isNetwork, NETWORKS } from '../../lib/catalog.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { AllocateRequest, DepositAddressProvider } from './deposit-address-provider.ts';
import {
  addressOfPublicKey,
  derivePublicKey,
  ExtendedKeyError,
  type ExtendedPublicKey,
  MAX_DERIVATION_INDEX,
  parseExtendedPublicKey,
} from './hd-derivation.ts';

/** The address families an extended secp256k1 key serves (Solana's ed25519 keys are not among them). */
export const HD_FAMILIES = ['evm', 'tron', 'bitcoin'] as const;
export type HdFamily = (typeof HD_FAMILIES)[number];

export interface HdDepositAddressOptions {
  /**
   * The extended public key of each address family with the setting it came from (DEPOSIT_XPUB for
   * every family, DEPOSIT_XPUB_EVM / _TRON / _BITCOIN for one). A family without a key gets no addresses.
   */
  extendedKeys: Partial<Record<HdFamily, { value: string; setting: string } | undefined>>;
}

/**
 * DEPOSIT_ADDRESS_PROVIDER=hd: each sell's deposit address is derived from an extended public key,
 * at `<key>/0/<index>` with the index the settlement module reserved for the transaction
 * (hd-derivation.ts). The server holds no private key: whoever holds the wallet behind the key
 * controls the deposits, and finds each one at the index recorded beside it (deposit_addresses).
 * Stateless and deterministic, so it serves every node alike.
 *
 * A key that does not parse, or a private key, stops the start (the constructor throws, naming the
 * setting). Solana is
 * refused with ProviderError `rejected` (its keys are ed25519), as is a family without a key.
 */
export class HdDepositAddresses implements DepositAddressProvider {
  readonly name = 'hd';
  private readonly keys: Partial<Record<HdFamily, ExtendedPublicKey>> = {};

  constructor(options: HdDepositAddressOptions) {
    for (const family of HD_FAMILIES) {
      const configured = options.extendedKeys[family];
      if (configured === undefined) continue;
      try {
        this.keys[family] = parseExtendedPublicKey(configured.value);
      } catch (error) {
        // Names the setting, never the key: a key names every address the platform will give out.
        if (error instanceof ExtendedKeyError) throw new ExtendedKeyError(`${configured.setting} ${error.message}`);
        throw error;
      }
    }
  }

  async allocate({ network, index }: AllocateRequest): Promise<string> {
    if (!isNetwork(network)) throw this.refuse(`no deposit addresses on network ${network}`);
    const format: AddressFormat = NETWORKS[network].addressFormat;
    if (format === 'solana') {
      throw this.refuse(
        `no deposit addresses on ${network}: its keys are ed25519, which cannot be derived from a secp256k1 extended public key`,
      );
    }
    const key = this.keys[format];
    if (!key)
      throw this.refuse(`no extended public key is configured for ${network} (DEPOSIT_XPUB or DEPOSIT_XPUB_${format.toUpperCase()})`);
    if (!Number.isSafeInteger(index) || index < 0 || index > MAX_DERIVATION_INDEX) {
      throw this.refuse(`derivation index ${index} is outside 0 … ${MAX_DERIVATION_INDEX} (non-hardened)`);
    }
    return addressOfPublicKey(format, derivePublicKey(key, index));
  }

  private refuse(message: string): ProviderError {
    return new ProviderError({ provider: this.name, kind: 'rejected', message });
  }
}
