import type { Kysely, Transaction } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { larger } from './transfer-machine.ts';

/**
 * The hot wallets' nonce counters. A counter row is locked for the whole database transaction that
 * signs a transfer, so transfers of one wallet are signed one at a time across every node, and the
 * nonce, the signed bytes and the counter commit together (or, if signing fails, none of them).
 */

export interface LockedNonces {
  next: bigint;
  /** Nonces refused transfers gave back, lowest first. */
  released: bigint[];
}

/**
 * Locks the counter of a wallet (created at `minedNonce` the first time) and reads it with the
 * released nonces. Concurrent first uses meet on the primary key: one inserts, the others find it.
 */
export async function lockNonces(
  trx: Transaction<Tables>,
  wallet: { network: string; address: string; minedNonce: bigint; now: Date },
): Promise<LockedNonces> {
  await trx
    .insertInto('hot_wallet_nonces')
    .values({ network: wallet.network, address: wallet.address, next_nonce: wallet.minedNonce.toString(), updated_at: wallet.now })
    .onConflict((oc) => oc.columns(['network', 'address']).doNothing())
    .execute();
  const row = await trx
    .selectFrom('hot_wallet_nonces')
    .select('next_nonce')
    .where('network', '=', wallet.network)
    .where('address', '=', wallet.address)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const released = await trx
    .selectFrom('released_nonces')
    .select('nonce')
    .where('network', '=', wallet.network)
    .where('address', '=', wallet.address)
    .orderBy('nonce')
    .execute();
  return { next: BigInt(row.next_nonce), released: released.map((one) => BigInt(one.nonce)) };
}

/**
 * Records that `nonce` is taken (under the lock of lockNonces): the counter moves past it, or the
 * released nonce it reuses is no longer free; released nonces the chain has passed are dropped.
 */
export async function takeNonce(
  trx: Transaction<Tables>,
  wallet: { network: string; address: string; now: Date },
  taken: { nonce: bigint; fromReleased: boolean; minedNonce: bigint; next: bigint },
): Promise<void> {
  await trx
    .deleteFrom('released_nonces')
    .where('network', '=', wallet.network)
    .where('address', '=', wallet.address)
    .where((eb) => eb.or([eb('nonce', '<', taken.minedNonce.toString()), eb('nonce', '=', taken.nonce.toString())]))
    .execute();
  const next = taken.fromReleased ? larger(taken.next, taken.minedNonce) : taken.nonce + 1n;
  await trx
    .updateTable('hot_wallet_nonces')
    .set({ next_nonce: next.toString(), updated_at: wallet.now })
    .where('network', '=', wallet.network)
    .where('address', '=', wallet.address)
    .execute();
}

/**
 * Gives a nonce back (under the counter's lock): a transfer holding it was refused by the node for good
 * before it took the bytes. The last nonce handed out simply lowers the counter; an earlier one is
 * kept for the next signature, so no later transfer waits behind a gap.
 */
export async function releaseNonce(
  trx: Transaction<Tables>,
  wallet: { network: string; address: string; nonce: bigint; now: Date },
): Promise<void> {
  const row = await trx
    .selectFrom('hot_wallet_nonces')
    .select('next_nonce')
    .where('network', '=', wallet.network)
    .where('address', '=', wallet.address)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return;
  if (BigInt(row.next_nonce) === wallet.nonce + 1n) {
    await trx
      .updateTable('hot_wallet_nonces')
      .set({ next_nonce: wallet.nonce.toString(), updated_at: wallet.now })
      .where('network', '=', wallet.network)
      .where('address', '=', wallet.address)
      .execute();
    return;
  }
  await trx
    .insertInto('released_nonces')
    .values({ network: wallet.network, address: wallet.address, nonce: wallet.nonce.toString(), released_at: wallet.now })
    .onConflict((oc) => oc.columns(['network', 'address', 'nonce']).doNothing())
    .execute();
}

/** The counter of a wallet, if it was ever used: for the hot-wallet view. */
export async function findNextNonce(db: Kysely<Tables>, wallet: { network: string; address: string }): Promise<bigint | null> {
  const row = await db
    .selectFrom('hot_wallet_nonces')
    .select('next_nonce')
    .where('network', '=', wallet.network)
    .where('address', '=', wallet.address)
    .executeTakeFirst();
  return row ? BigInt(row.next_nonce) : null;
}
