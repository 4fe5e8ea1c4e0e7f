import type { Platform } from '../../platform.ts';
import type { AllocateRequest } from './deposit-address-provider.ts';
import { findDepositAddress, insertDepositAddress, reserveDerivationIndex } from './deposit-address-store.ts';

/**
 * The deposit address of a sell (sessions call this when they create one). The first call reserves
 * a derivation index (from a sequence: unique, never reused), has the configured adapter make the
 * address from it, and records both before the address is handed out, so every address that ever
 * left the platform has its index written down; the watcher reads its address set from the same
 * rows. A later call for the same transaction answers the recorded address.
 *
 * @throws ProviderError from the adapter (the session answers 502); nothing is recorded then, and
 *   the reserved index stays unused.
 */
export interface DepositAddressRequest extends Omit<AllocateRequest, 'index'> {
  /** Who the sell belongs to, recorded beside the address for the operator's lists. */
  partnerId: string;
  merchantTransactionId: string;
}

export async function allocateDepositAddress(platform: Platform, request: DepositAddressRequest): Promise<string> {
  const existing = await findDepositAddress(platform.db, request.transactionId);
  if (existing) return existing.address;
  const provider = platform.providers.depositAddresses;
  const index = await reserveDerivationIndex(platform.db);
  const address = await provider.allocate({
    transactionId: request.transactionId,
    currency: request.currency,
    network: request.network,
    index,
  });
  const recorded = await insertDepositAddress(platform.db, {
    transaction_id: request.transactionId,
    partner_id: request.partnerId,
    merchant_transaction_id: request.merchantTransactionId,
    derivation_index: index,
    provider: provider.name,
    currency: request.currency,
    network: request.network,
    address,
    created_at: platform.clock.now(),
  });
  if (recorded) return address;
  // Another call for this transaction recorded its address first: that one is the transaction's.
  return (await findDepositAddress(platform.db, request.transactionId))!.address;
}
