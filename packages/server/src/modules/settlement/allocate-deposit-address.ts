import type { Network } from '../../lib/catalog.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { Platform } from '../../platform.ts';
import type { AllocateRequest } from './deposit-address-provider.ts';
import { findDepositAddress, insertDepositAddress, reserveDerivationIndex } from './deposit-address-store.ts';

export interface DepositAddressRequest extends Omit<AllocateRequest, 'index'> {
  /** Who the sell belongs to, recorded beside the address for the operator's lists. */
  partnerId: string;
  merchantTransactionId: string;
}

/**
 * The deposit address of a sell (sessions call this when they create one). The first call reserves
 * a derivation index (from a sequence: unique, never reused), has the configured adapter make the
 * address from it, and records both before the address is handed out, so every address that ever
 * left the platform has its index written down; the watcher reads its address set from the same
 * rows. A later call for the same transaction answers the recorded address.
 *
 * A sell is refused before anything is reserved when the platform could not finish it: no chain
 * adapter watches the network (CHAIN_ADAPTER_<NETWORK>=none), or no payout provider pays sells out
 * (PAYOUT_PROVIDER=none). An address handed out then would receive crypto nobody sees or pays for.
 *
 * @throws ProviderError `rejected` for such a sell, or from the adapter (the session answers 502);
 *   nothing is recorded then, and a reserved index stays unused.
 */
export async function allocateDepositAddress(platform: Platform, request: DepositAddressRequest): Promise<string> {
  const existing = await findDepositAddress(platform.db, request.transactionId);
  if (existing) return existing.address;
  assertSellsCanSettle(platform, request.network);
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

function assertSellsCanSettle(platform: Platform, network: Network): void {
  const refuse = (message: string) => new ProviderError({ provider: 'off-ramp', kind: 'rejected', message });
  if (!platform.providers.chains.networks.includes(network)) {
    throw refuse(`no chain adapter watches deposits on ${network} (CHAIN_ADAPTER_${network}); sells there are refused`);
  }
  if (platform.config.payoutProvider === 'none') {
    throw refuse('no payout provider is configured (PAYOUT_PROVIDER); sells are refused');
  }
}
