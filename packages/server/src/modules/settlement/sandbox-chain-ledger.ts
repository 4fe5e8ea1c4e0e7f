import { createHash } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { validateAddress } from '../../lib/address.ts';
import type { Asset, Network } from '../../lib/catalog.ts';
import { NETWORKS } from '../../lib/catalog.ts';
import type { Clock } from '../../lib/clock.ts';
import type { SandboxChainTransfersTable } from './tables.ts';

/**
 * The sandbox chain's ledger: its state lives in the database (tables.ts), so it survives restarts
 * and every node of a deployment sees one chain. Shared by the adapter (sandbox-chain-adapter.ts)
 * and the operator's tools (sandbox-chain-tools.ts).
 *
 * The model, per network:
 * - Head: `mined_blocks` + whole block times since genesis on the platform clock (one block per
 *   SANDBOX_BLOCK_TIME), so moving the sandbox clock mines blocks; block 0 is genesis. Block hashes are
 *   derived from (network, number, how many reorganisations reached that block).
 * - A transfer is mined in the block after the head at the time it was sent (pending until then).
 *   Sends from the hot wallet carry nonces: a nonce above the next one waits (queued) until the gap is
 *   filled; a nonce another live send has is refused. One transfer per transaction (log index 0).
 * - A send the sender cannot cover (counting transfers not yet mined) is mined reverted: it moves nothing.
 * - No network fees. The hot wallet starts with 1,000,000 whole units of every asset of its network.
 * - Dropping a transfer removes it from the chain (status unknown, balances and deposits no longer
 *   count it); dropping a send also drops the same wallet's later nonces, which could not be mined
 *   without it. The same signed bytes may be broadcast again and are then mined anew.
 * - A reorganisation of depth d gives blocks head−d+1 … head new hashes and moves the transfers mined
 *   there into the next block (or drops them, when asked).
 */

export type Db = Kysely<Tables>;

/** The sandbox chain adapter's name, in logs, ProviderError.provider and the operator's tools. */
export const SANDBOX_CHAIN_NAME = 'sandbox-chain';

export interface SandboxChainTiming {
  clock: Clock;
  blockTimeMs: number;
}

/** What the hot wallet holds at genesis: 1,000,000 whole units of the asset. */
export function initialHotWalletBalance(decimals: number): bigint {
  return 1_000_000n * 10n ** BigInt(decimals);
}

/** Hashes in the network's style: 0x-prefixed on the EVM networks, plain hex elsewhere (TRON, Bitcoin…). */
export function formatHash(network: Network, digest: Buffer): string {
  return NETWORKS[network].addressFormat === 'evm' ? `0x${digest.toString('hex')}` : digest.toString('hex');
}

export function blockHashOf(network: Network, number: bigint, epoch: number): string {
  return formatHash(network, createHash('sha256').update(`sandbox-chain:block:${network}:${number}:${epoch}`).digest());
}

/** An address as the ledger stores it (the network's canonical spelling), or null when it is not one. */
export function canonicalAddress(network: Network, address: string): string | null {
  const check = validateAddress(NETWORKS[network].addressFormat, address);
  return check.ok ? check.address : null;
}

const big = (value: string | number | bigint | null): bigint => BigInt(value ?? 0);

export interface HeadState {
  head: bigint;
  depositsSent: bigint;
}

/** The head now; makes the network's row (genesis now) on first use. `lock` holds the row until the transaction ends. */
export async function readHead(db: Db, network: Network, timing: SandboxChainTiming, lock = false): Promise<HeadState> {
  const now = timing.clock.now();
  const select = () =>
    db
      .selectFrom('sandbox_chain_heads')
      .selectAll()
      .where('network', '=', network)
      .$if(lock, (query) => query.forUpdate())
      .executeTakeFirst();
  let row = await select();
  if (!row) {
    // First use: genesis now. Concurrent first uses meet on the primary key; every one reads the winner's row.
    await db
      .insertInto('sandbox_chain_heads')
      .values({ network, genesis_at: now })
      .onConflict((oc) => oc.column('network').doNothing())
      .execute();
    row = await select();
    if (!row) throw new Error(`the sandbox chain of ${network} has no head`);
  }
  const elapsed = BigInt(Math.max(0, now.getTime() - row.genesis_at.getTime()));
  return { head: big(row.mined_blocks) + elapsed / BigInt(timing.blockTimeMs), depositsSent: big(row.deposits_sent) };
}

/** The hash of block `number` on the chain as it is now, or null past the head. */
export async function blockHash(db: Db, network: Network, number: bigint, head: bigint): Promise<string | null> {
  if (number < 0n || number > head) return null;
  return blockHashOf(network, number, await reorgEpoch(db, network, number));
}

async function reorgEpoch(db: Db, network: Network, number: bigint): Promise<number> {
  const row = await db
    .selectFrom('sandbox_chain_reorgs')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('network', '=', network)
    .where('from_block', '<=', number.toString())
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Block hashes for many block numbers at once (deposits). */
export async function blockHashes(db: Db, network: Network, numbers: bigint[]): Promise<Map<bigint, string>> {
  const reorgs = await db.selectFrom('sandbox_chain_reorgs').select('from_block').where('network', '=', network).execute();
  const froms = reorgs.map((row) => big(row.from_block));
  return new Map(numbers.map((number) => [number, blockHashOf(network, number, froms.filter((from) => from <= number).length)]));
}

export interface LedgerTransfer {
  hash: string;
  kind: SandboxChainTransfersTable['kind'];
  asset: string;
  from: string;
  to: string;
  amountMinor: bigint;
  nonce: bigint | null;
  blockNumber: bigint | null;
  success: boolean;
  dropped: boolean;
}

type TransferRow = {
  hash: string;
  kind: SandboxChainTransfersTable['kind'];
  asset: string;
  from_address: string;
  to_address: string;
  amount_minor: string;
  nonce: string | number | null;
  block_number: string | number | null;
  success: boolean;
  dropped_at: Date | null;
};

function toTransfer(row: TransferRow): LedgerTransfer {
  return {
    hash: row.hash,
    kind: row.kind,
    asset: row.asset,
    from: row.from_address,
    to: row.to_address,
    amountMinor: BigInt(row.amount_minor),
    nonce: row.nonce === null ? null : big(row.nonce),
    blockNumber: row.block_number === null ? null : big(row.block_number),
    success: row.success,
    dropped: row.dropped_at !== null,
  };
}

export async function findTransfer(db: Db, network: Network, hash: string): Promise<LedgerTransfer | undefined> {
  const row = await db
    .selectFrom('sandbox_chain_transfers')
    .selectAll()
    .where('network', '=', network)
    .where('hash', '=', hash)
    .executeTakeFirst();
  return row ? toTransfer(row) : undefined;
}

/**
 * The balance of `address` in `asset`: what it started with plus what came in minus what went out,
 * over live successful transfers mined by `upTo` (null: also those still pending, which is what a
 * new send must be covered by).
 */
export async function balanceOf(
  db: Db,
  query: { network: Network; asset: Asset; address: string; initial: bigint; upTo: bigint | null },
): Promise<bigint> {
  const row = await db
    .selectFrom('sandbox_chain_transfers')
    .select([
      sql<string>`coalesce(sum(case when to_address = ${query.address} then amount_minor else 0 end), 0)::text`.as('received'),
      sql<string>`coalesce(sum(case when from_address = ${query.address} then amount_minor else 0 end), 0)::text`.as('sent'),
    ])
    .where('network', '=', query.network)
    .where('asset', '=', query.asset)
    .where('success', '=', true)
    .where('dropped_at', 'is', null)
    .where('block_number', 'is not', null)
    .$if(query.upTo !== null, (q) => q.where('block_number', '<=', query.upTo!.toString()))
    .where((eb) => eb.or([eb('to_address', '=', query.address), eb('from_address', '=', query.address)]))
    .executeTakeFirstOrThrow();
  return query.initial + BigInt(row.received) - BigInt(row.sent);
}

/** How many of `from`'s sends are mined by `head` (the next nonce the chain expects, since they are mined in nonce order). */
export async function minedSends(db: Db, network: Network, from: string, head: bigint): Promise<bigint> {
  const row = await db
    .selectFrom('sandbox_chain_transfers')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('network', '=', network)
    .where('from_address', '=', from)
    .where('kind', '=', 'send')
    .where('dropped_at', 'is', null)
    .where('block_number', '<=', head.toString())
    .executeTakeFirstOrThrow();
  return big(row.count as string | number);
}

export interface NewSend {
  network: Network;
  hash: string;
  asset: Asset;
  from: string;
  to: string;
  amountMinor: bigint;
  nonce: bigint;
  raw: string;
}

export type SendOutcome =
  | { outcome: 'known' }
  | { outcome: 'accepted' }
  /** Another live send has the nonce: `mined` says whether it is in a block already (then this one can never be). */
  | { outcome: 'nonce_taken'; mined: boolean };

/**
 * Puts a signed send on the chain, under the network's head lock: known already (nothing changes),
 * refused because its nonce is taken, or accepted (revived when it was dropped) and, when its nonce
 * is next, given the next block along with every queued send it unblocks.
 */
export async function submitSend(
  trx: Transaction<Tables>,
  send: NewSend,
  context: { head: bigint; initial: bigint; now: Date },
): Promise<SendOutcome> {
  const existing = await findTransfer(trx, send.network, send.hash);
  if (existing && !existing.dropped) return { outcome: 'known' };
  const holder = await trx
    .selectFrom('sandbox_chain_transfers')
    .select(['hash', 'block_number'])
    .where('network', '=', send.network)
    .where('from_address', '=', send.from)
    .where('nonce', '=', send.nonce.toString())
    .where('dropped_at', 'is', null)
    .executeTakeFirst();
  if (holder) return { outcome: 'nonce_taken', mined: holder.block_number !== null && big(holder.block_number) <= context.head };
  if (existing) {
    await trx
      .updateTable('sandbox_chain_transfers')
      .set({ dropped_at: null, block_number: null })
      .where('network', '=', send.network)
      .where('hash', '=', send.hash)
      .execute();
  } else {
    await trx
      .insertInto('sandbox_chain_transfers')
      .values({
        network: send.network,
        hash: send.hash,
        kind: 'send',
        asset: send.asset,
        from_address: send.from,
        to_address: send.to,
        amount_minor: send.amountMinor.toString(),
        nonce: send.nonce.toString(),
        raw: send.raw,
        block_number: null,
        success: false,
        created_at: context.now,
      })
      .execute();
  }
  await unqueueSends(trx, send.network, send.from, context);
  return { outcome: 'accepted' };
}

/** Gives the next block to the sender's queued sends whose nonce is next, lowest first, each covered or reverted. */
async function unqueueSends(trx: Transaction<Tables>, network: Network, from: string, context: { head: bigint; initial: bigint }) {
  const placed = await trx
    .selectFrom('sandbox_chain_transfers')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('network', '=', network)
    .where('from_address', '=', from)
    .where('kind', '=', 'send')
    .where('dropped_at', 'is', null)
    .where('block_number', 'is not', null)
    .executeTakeFirstOrThrow();
  let next = big(placed.count as string | number);
  for (;;) {
    const row = await trx
      .selectFrom('sandbox_chain_transfers')
      .selectAll()
      .where('network', '=', network)
      .where('from_address', '=', from)
      .where('nonce', '=', next.toString())
      .where('dropped_at', 'is', null)
      .where('block_number', 'is', null)
      .executeTakeFirst();
    if (!row) return;
    const send = toTransfer(row);
    const available = await balanceOf(trx, { network, asset: send.asset as Asset, address: from, initial: context.initial, upTo: null });
    await trx
      .updateTable('sandbox_chain_transfers')
      .set({ block_number: (context.head + 1n).toString(), success: available >= send.amountMinor })
      .where('network', '=', network)
      .where('hash', '=', send.hash)
      .execute();
    next += 1n;
  }
}

/** An operator's deposit: from an outside sender with unlimited funds, mined in the next block. */
export async function insertDeposit(
  trx: Transaction<Tables>,
  deposit: { network: Network; asset: Asset; from: string; to: string; amountMinor: bigint },
  context: { head: bigint; depositsSent: bigint; now: Date },
): Promise<{ hash: string; blockNumber: bigint }> {
  const number = context.depositsSent + 1n;
  const hash = formatHash(deposit.network, createHash('sha256').update(`sandbox-chain:deposit:${deposit.network}:${number}`).digest());
  const blockNumber = context.head + 1n;
  await trx.updateTable('sandbox_chain_heads').set({ deposits_sent: number.toString() }).where('network', '=', deposit.network).execute();
  await trx
    .insertInto('sandbox_chain_transfers')
    .values({
      network: deposit.network,
      hash,
      kind: 'deposit',
      asset: deposit.asset,
      from_address: deposit.from,
      to_address: deposit.to,
      amount_minor: deposit.amountMinor.toString(),
      nonce: null,
      raw: null,
      block_number: blockNumber.toString(),
      success: true,
      created_at: context.now,
    })
    .execute();
  return { hash, blockNumber };
}

export async function addMinedBlocks(trx: Transaction<Tables>, network: Network, blocks: number): Promise<void> {
  await trx
    .updateTable('sandbox_chain_heads')
    .set((eb) => ({ mined_blocks: sql<string>`${eb.ref('mined_blocks')} + ${blocks}` }))
    .where('network', '=', network)
    .execute();
}

/** Drops live transfers (a send takes the same wallet's later nonces with it); returns every hash dropped. */
export async function dropTransfers(trx: Transaction<Tables>, network: Network, hashes: string[], now: Date): Promise<string[]> {
  const dropped: string[] = [];
  for (const hash of hashes) {
    const transfer = await findTransfer(trx, network, hash);
    if (!transfer || transfer.dropped) continue;
    const rows = await trx
      .updateTable('sandbox_chain_transfers')
      .set({ dropped_at: now })
      .where('network', '=', network)
      .where('dropped_at', 'is', null)
      .where((eb) =>
        transfer.nonce === null
          ? eb('hash', '=', hash)
          : eb.and([eb('from_address', '=', transfer.from), eb('kind', '=', 'send'), eb('nonce', '>=', transfer.nonce.toString())]),
      )
      .returning('hash')
      .execute();
    dropped.push(...rows.map((row) => row.hash));
  }
  return dropped;
}

/**
 * A reorganisation: blocks from `fromBlock` get new hashes; the live transfers mined there move into
 * the next block, or are dropped. Returns the hashes moved or dropped.
 */
export async function reorganise(
  trx: Transaction<Tables>,
  network: Network,
  context: { fromBlock: bigint; head: bigint; drop: boolean; now: Date },
): Promise<string[]> {
  await trx
    .insertInto('sandbox_chain_reorgs')
    .values({ network, from_block: context.fromBlock.toString(), created_at: context.now })
    .execute();
  const affected = await trx
    .selectFrom('sandbox_chain_transfers')
    .select('hash')
    .where('network', '=', network)
    .where('dropped_at', 'is', null)
    .where('block_number', '>=', context.fromBlock.toString())
    .where('block_number', '<=', context.head.toString())
    .orderBy('seq')
    .execute();
  const hashes = affected.map((row) => row.hash);
  if (hashes.length === 0) return [];
  if (context.drop) return dropTransfers(trx, network, hashes, context.now);
  await trx
    .updateTable('sandbox_chain_transfers')
    .set({ block_number: (context.head + 1n).toString() })
    .where('network', '=', network)
    .where('hash', 'in', hashes)
    .execute();
  return hashes;
}

export interface LedgerDeposit {
  hash: string;
  from: string;
  to: string;
  amountMinor: bigint;
  blockNumber: bigint;
}

/** Live successful transfers of `asset` into `addresses` (canonical) mined in [fromBlock, toBlock], oldest first. */
export async function depositsInto(
  db: Db,
  query: { network: Network; asset: Asset; addresses: string[]; fromBlock: bigint; toBlock: bigint },
): Promise<LedgerDeposit[]> {
  if (query.addresses.length === 0 || query.toBlock < query.fromBlock) return [];
  const rows = await db
    .selectFrom('sandbox_chain_transfers')
    .select(['hash', 'from_address', 'to_address', 'amount_minor', 'block_number'])
    .where('network', '=', query.network)
    .where('asset', '=', query.asset)
    .where('to_address', 'in', query.addresses)
    .where('success', '=', true)
    .where('dropped_at', 'is', null)
    .where('block_number', '>=', query.fromBlock.toString())
    .where('block_number', '<=', query.toBlock.toString())
    .orderBy('block_number')
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({
    hash: row.hash,
    from: row.from_address,
    to: row.to_address,
    amountMinor: BigInt(row.amount_minor),
    blockNumber: big(row.block_number),
  }));
}
