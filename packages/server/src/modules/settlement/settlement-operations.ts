import { ASSETS, type Asset, type Network } from '../../lib/catalog.ts';
import { formatAmount } from '../../lib/money.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { Platform } from '../../platform.ts';
import { type AlertFilter, listAlerts, resolveAlertById } from './alert-store.ts';
import { findNextNonce } from './hot-wallet-store.ts';
import { countTransfersByStatus, listTransferIntents, type TransferFilter } from './transfer-store.ts';
import { ACTIVE_TRANSFER_STATUSES } from './transfer-vocabulary.ts';

/** What operators see and do about buy settlement (the admin API); the worker does the rest. */

/** Open (or resolved, or all) alerts, most recently seen first. */
export async function listSettlementAlerts(platform: Platform, filter: AlertFilter) {
  return listAlerts(platform.db, filter);
}

/** Marks an alert handled; false when there is no such open alert. */
export async function resolveSettlementAlert(platform: Platform, id: string): Promise<boolean> {
  return resolveAlertById(platform.db, id, platform.clock.now());
}

/** Transfers, newest first, without their signed bytes. */
export async function listTransfers(platform: Platform, filter: TransferFilter) {
  return listTransferIntents(platform.db, filter);
}

/**
 * Makes a waiting transfer due now (after funding the hot wallet, or fixing the node), instead of at
 * its next scheduled try; false when there is no such transfer still in progress.
 */
export async function retryTransferNow(platform: Platform, id: string): Promise<boolean> {
  const now = platform.clock.now();
  const result = await platform.db
    .updateTable('transfer_intents')
    .set({ next_attempt_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', ACTIVE_TRANSFER_STATUSES)
    .executeTakeFirst();
  const retried = result.numUpdatedRows > 0n;
  if (retried) platform.transferNotifier.notify();
  return retried;
}

export interface HotWalletView {
  network: Network;
  address: string | null;
  confirmations: number;
  /** Decimal strings in each asset's units, with the minor units beside them. */
  balances: Array<{ asset: Asset; balance: string; balance_minor: string }>;
  /** The next nonce the chain expects, and the next the platform hands out (null until it first signs). */
  mined_nonce: string | null;
  next_nonce: string | null;
  /** Transfers in progress by status. */
  transfers: Record<string, number>;
  /** Set when the node could not be asked (the rest of the view is then partial). */
  error?: string;
}

/** Every network with a chain adapter: its hot wallet, balances per asset, nonces and transfers in progress. */
export async function hotWallets(platform: Platform): Promise<HotWalletView[]> {
  const chains = platform.providers.chains;
  return Promise.all(
    chains.networks.map(async (network): Promise<HotWalletView> => {
      const chain = chains.chainFor(network);
      const counts = await countTransfersByStatus(platform.db, network);
      const transfers = Object.fromEntries(ACTIVE_TRANSFER_STATUSES.map((status) => [status, counts[status] ?? 0]));
      const view: HotWalletView = {
        network,
        address: null,
        confirmations: chains.confirmationsFor(network),
        balances: [],
        mined_nonce: null,
        next_nonce: null,
        transfers,
      };
      try {
        const address = chain.hotWalletAddress({ network });
        view.address = address;
        const next = await findNextNonce(platform.db, { network, address });
        view.next_nonce = next === null ? null : next.toString();
        view.mined_nonce = (await chain.minedNonce({ network })).toString();
        for (const asset of assetsOn(network)) {
          let minor: bigint;
          try {
            minor = await chain.balance({ network, asset });
          } catch (error) {
            // An asset the adapter does not carry on this network (no token contract configured) has no balance to show.
            if (error instanceof ProviderError && error.kind === 'rejected') continue;
            throw error;
          }
          view.balances.push({ asset, balance: formatAmount(minor, ASSETS[asset].decimals), balance_minor: minor.toString() });
        }
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        view.error = `${error.kind}: ${error.message}`;
      }
      return view;
    }),
  );
}

function assetsOn(network: Network): Asset[] {
  return (Object.keys(ASSETS) as Asset[]).filter((asset) => (ASSETS[asset].networks as readonly Network[]).includes(network));
}
