import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { type Asset, isAsset, isNetwork, type Network } from '../../lib/catalog.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { Platform } from '../../platform.ts';
import type { TransactionEvent } from '../delivery/event-bus.ts';
import { announceStatusChanges, changeStatusWithin } from '../transactions/change-status.ts';
import { holdExpiry, lockTransaction, releaseExpiryHold } from '../transactions/transaction-store.ts';
import type { Deposit } from './chain-adapter.ts';
import { confirmationsAt } from './deposit-decision.ts';
import {
  advanceCursor,
  type DepositRow,
  findDepositByTransfer,
  hasLiveDeposit,
  insertDeposit,
  leaseCursor,
  newDepositId,
  unconfirmedDeposits,
  updateDeposit,
  watchedAddresses,
  watchedPairs,
} from './off-ramp-store.ts';

/**
 * The deposit watcher's scan: for every (network, asset) with sell addresses of the last days, read
 * the transfers into them from the chain, block range by block range, and keep their depth current.
 *
 * - A persisted cursor per (network, asset) says how far the chain has been read; a node leases it
 *   for CURSOR_LEASE_MS, so several nodes never scan one pair at once. Each round reads from the
 *   cursor (less the network's confirmation depth, so a transfer moved by a reorganisation into an
 *   already read block is found again) to the head, at most MAX_BLOCKS_PER_ROUND blocks; a new
 *   cursor starts FIRST_LOOKBACK_BLOCKS below the head.
 * - Watched: the addresses allocated within SELL_DEPOSIT_WINDOW + LATE_DEPOSIT_WATCH, so a deposit
 *   after the window is still seen (and recorded as late).
 * - Each transfer is recorded once (network, hash, log index). In a sell's window it holds the
 *   sell open past its deadline (the expiry job leaves it) until its depth decides it; after the
 *   window, or into a sell that no longer takes deposits, it is recorded `late` (held for the operator)
 *   and a sell still pending past its window fails (`deposit_expired`) at once.
 * - Unconfirmed deposits are checked against their block's hash: one whose block left the chain is
 *   `reorged` (and no longer holds its sell open); the others count confirmations until
 *   `chains.confirmationsFor(network)` is reached.
 */

const CURSOR_LEASE_MS = 60_000;
export const MAX_BLOCKS_PER_ROUND = 2_000n;
export const FIRST_LOOKBACK_BLOCKS = 2_000n;
/** Addresses per deposits() call: nodes cap filters, and a long list makes one slow query. */
const ADDRESSES_PER_QUERY = 500;

export interface WatchResult {
  /** New blocks read past the cursors (a chain far ahead takes several rounds). */
  blocks: number;
  /** Deposits seen for the first time (late ones included). */
  recorded: number;
  late: number;
  confirmed: number;
  reorged: number;
}

export async function watchDeposits(platform: Platform, options: { owner: string }): Promise<WatchResult> {
  const result: WatchResult = { blocks: 0, recorded: 0, late: 0, confirmed: 0, reorged: 0 };
  const now = platform.clock.now();
  const since = new Date(now.getTime() - platform.config.sellDepositWindowMs - platform.config.lateDepositWatchMs);
  const chains = platform.providers.chains;
  for (const { network, currency: asset } of await watchedPairs(platform.db, since)) {
    if (!isNetwork(network) || !isAsset(asset)) continue;
    if (!chains.networks.includes(network)) {
      platform.logger.warn({ network, asset }, 'sell deposits cannot be watched: no chain adapter serves this network');
      continue;
    }
    try {
      await scanPair(platform, { network, asset, owner: options.owner, since }, result);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      platform.logger.warn(
        { network, asset, provider: error.provider, kind: error.kind, err: error },
        'deposit scan failed; retried next round',
      );
      await advanceCursor(platform.db, { network, asset, owner: options.owner, lastBlock: null, now: platform.clock.now() });
    }
  }
  return result;
}

async function scanPair(
  platform: Platform,
  pair: { network: Network; asset: Asset; owner: string; since: Date },
  result: WatchResult,
): Promise<void> {
  const { network, asset, owner } = pair;
  const chain = platform.providers.chains.chainFor(network);
  const depth = platform.providers.chains.confirmationsFor(network);
  const now = platform.clock.now();
  const head = await chain.head({ network });
  const last = await leaseCursor(platform.db, {
    network,
    asset,
    owner,
    now,
    until: new Date(now.getTime() + CURSOR_LEASE_MS),
    startBlock: async () => (head > FIRST_LOOKBACK_BLOCKS ? head - FIRST_LOOKBACK_BLOCKS : 0n),
  });
  if (last === null) return;
  const rescanFrom = last + 1n - BigInt(depth);
  const from = rescanFrom > 0n ? rescanFrom : 0n;
  const to = head < from + MAX_BLOCKS_PER_ROUND - 1n ? head : from + MAX_BLOCKS_PER_ROUND - 1n;
  if (from <= to) {
    const watched = await watchedAddresses(platform.db, { network, asset, since: pair.since });
    const transactionOf = new Map(watched.map((row) => [row.address, row.transaction_id]));
    const addresses = [...transactionOf.keys()];
    for (let start = 0; start < addresses.length; start += ADDRESSES_PER_QUERY) {
      const found = await chain.deposits({
        network,
        asset,
        addresses: addresses.slice(start, start + ADDRESSES_PER_QUERY),
        fromBlock: from,
        toBlock: to,
      });
      for (const deposit of found) {
        const transactionId = transactionOf.get(deposit.to);
        if (!transactionId) continue;
        await recordDeposit(platform, { network, asset, deposit, transactionId, head, depth }, result);
      }
    }
  }
  await refreshConfirmations(platform, { network, asset, head, depth, chain }, result);
  if (to > last) result.blocks += Number(to - last);
  await advanceCursor(platform.db, { network, asset, owner, lastBlock: to > last ? to : last, now: platform.clock.now() });
}

/** Records a transfer seen for the first time (or seen again in another block after a reorganisation). */
async function recordDeposit(
  platform: Platform,
  seen: { network: Network; asset: string; deposit: Deposit; transactionId: string; head: bigint; depth: number },
  result: WatchResult,
): Promise<void> {
  const { deposit } = seen;
  const transfer = { network: seen.network, txHash: deposit.hash, logIndex: deposit.logIndex };
  const confirmations = confirmationsAt(seen.head, deposit.blockNumber);
  const status = confirmations >= seen.depth ? 'confirmed' : 'unconfirmed';
  const existing = await findDepositByTransfer(platform.db, transfer);
  if (existing && existing.status !== 'reorged' && existing.block_hash === deposit.blockHash) return;

  const events: TransactionEvent[] = [];
  await platform.db.transaction().execute(async (trx) => {
    const now = platform.clock.now();
    const transaction = await lockTransaction(trx, { id: seen.transactionId });
    const again = await findDepositByTransfer(trx, transfer);
    if (again) {
      // Mined again after a reorganisation, or moved to another block: the same deposit, where it is now.
      // One confirmed and decided keeps its status (a reorganisation deeper than the depth changes no decision).
      if (again.disposition !== null && again.status === 'confirmed') {
        await updateDeposit(trx, again.id, { block_number: deposit.blockNumber.toString(), block_hash: deposit.blockHash });
        return;
      }
      await updateDeposit(trx, again.id, {
        block_number: deposit.blockNumber.toString(),
        block_hash: deposit.blockHash,
        confirmations,
        status,
        confirmed_at: status === 'confirmed' ? now : null,
      });
      if (transaction?.status === 'pending' && again.disposition === null) await holdExpiry(trx, transaction.id, now);
      return;
    }
    const deadline = transaction ? new Date(new Date(transaction.created_at).getTime() + platform.config.sellDepositWindowMs) : null;
    const inTime = transaction?.status === 'pending' && deadline !== null && now < deadline;
    const row: DepositRow = {
      id: newDepositId(),
      transaction_id: seen.transactionId,
      network: seen.network,
      asset: seen.asset,
      address: deposit.to,
      tx_hash: deposit.hash,
      log_index: deposit.logIndex,
      from_address: deposit.from,
      amount_minor: deposit.amountMinor.toString(),
      block_number: deposit.blockNumber.toString(),
      block_hash: deposit.blockHash,
      confirmations,
      status,
      disposition: inTime ? null : 'late',
      unpaid_minor: inTime ? '0' : deposit.amountMinor.toString(),
      seen_at: now,
      confirmed_at: status === 'confirmed' ? now : null,
      decided_at: inTime ? null : now,
      resolved_at: null,
      resolution_note: null,
    };
    if (!(await insertDeposit(trx, row))) return;
    result.recorded++;
    if (inTime) {
      await holdExpiry(trx, transaction!.id, now);
      return;
    }
    result.late++;
    platform.logger.warn(
      {
        transactionId: seen.transactionId,
        depositId: row.id,
        network: seen.network,
        asset: seen.asset,
        status: transaction?.status ?? 'unknown',
      },
      'late deposit: the sell no longer takes deposits; held for the operator',
    );
    if (transaction?.status === 'pending') {
      // Past its window and not yet failed by the expiry job: it fails now, as the job would have.
      events.push(
        await changeStatusWithin(platform, trx, {
          partnerId: transaction.partner_id,
          merchantTransactionId: transaction.merchant_transaction_id,
          to: 'failed',
          reason: 'deposit_expired',
        }),
      );
    }
  });
  announceStatusChanges(platform, events);
}

async function refreshConfirmations(
  platform: Platform,
  scan: { network: Network; asset: string; head: bigint; depth: number; chain: ReturnType<Platform['providers']['chains']['chainFor']> },
  result: WatchResult,
): Promise<void> {
  const hashes = new Map<bigint, string | null>();
  for (const row of await unconfirmedDeposits(platform.db, { network: scan.network, asset: scan.asset })) {
    const block = BigInt(row.block_number);
    if (!hashes.has(block)) hashes.set(block, await scan.chain.blockHash({ network: scan.network, number: block }));
    const now = platform.clock.now();
    if (hashes.get(block) !== row.block_hash) {
      await markReorged(platform.db, row);
      result.reorged++;
      continue;
    }
    const confirmations = confirmationsAt(scan.head, block);
    if (confirmations >= scan.depth) {
      await updateDeposit(platform.db, row.id, { confirmations, status: 'confirmed', confirmed_at: now });
      result.confirmed++;
    } else if (confirmations !== row.confirmations) {
      await updateDeposit(platform.db, row.id, { confirmations });
    }
  }
}

/** A deposit whose block left the chain counts nowhere; its sell no longer stays open for it alone. */
async function markReorged(db: Kysely<Tables>, row: DepositRow): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const transaction = await lockTransaction(trx, { id: row.transaction_id });
    await updateDeposit(trx, row.id, { status: 'reorged', confirmations: 0 });
    if (transaction?.status === 'pending' && !(await hasLiveDeposit(trx, row.transaction_id))) {
      await releaseExpiryHold(trx, transaction.id);
    }
  });
}
