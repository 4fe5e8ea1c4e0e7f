import type { Asset, Network } from '../../lib/catalog.ts';

/**
 * Gives each sell transaction its own address to receive the user's crypto on. The settlement module
 * owns this interface; src/providers.ts picks the adapter from configuration. An adapter that cannot
 * allocate throws ProviderError (lib/provider-error.ts), never anything else.
 */
export interface DepositAddressProvider {
  /** A short stable id ("sandbox", "none"): in logs and in ProviderError.provider. */
  readonly name: string;

  /**
   * The deposit address of one transaction: valid for the network (checksum included), the same on
   * every call for the same request, and different from every other transaction's. The settlement
   * module calls it once per transaction (allocate-deposit-address.ts) and records the result with
   * the derivation index it reserved, so the address is never asked for again.
   *
   * @throws ProviderError `unavailable` when the backing service (a key store, a node) cannot be
   *   reached, `rejected` when no address can be given for this network or no provider is configured.
   *
   * @example
   * const address = await depositAddresses.allocate({ transactionId: '0b6f…', index: 17, currency: 'USDT', network: 'TRC20' });
   * // 'T…' (base58check, 34 characters); the same request gives the same address again
   */
  allocate(request: AllocateRequest): Promise<string>;
}

export interface AllocateRequest {
  /** The platform's transaction id (not the partner's merchant_transaction_id). */
  transactionId: string;
  /**
   * The derivation index the settlement module reserved for this transaction (0 … 2^31−1): unique
   * across transactions and never reused, even when the transaction was never created. Adapters
   * that derive keys (hd) build the address from it; the others may ignore it.
   */
  index: number;
  currency: Asset;
  network: Network;
}
