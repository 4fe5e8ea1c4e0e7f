import { createHash } from 'node:crypto';
import { deriveSandboxAddress } from '../../lib/address.ts';
import { type Asset, assetTravelsOn, NETWORKS, type Network } from '../../lib/catalog.ts';
import type { Clock } from '../../lib/clock.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Chains } from './chain-adapter.ts';
import type { ChainSettings } from './chain-settings.ts';
import {
  addMinedBlocks,
  canonicalAddress,
  type Db,
  dropTransfers,
  findTransfer,
  insertDeposit,
  readHead,
  reorganise,
  SANDBOX_CHAIN_NAME,
  type SandboxChainTiming,
} from './sandbox-chain-ledger.ts';

/**
 * The operator's hands on the sandbox chain (SANDBOX_TOOLS; the admin routes in
 * sandbox-chain-routes.ts call these): send a deposit of any amount of any asset to any address,
 * mine blocks, drop a transfer, reorganise the chain. Each works on a network served by the sandbox
 * chain only (400 validation_error otherwise) and answers with the head after it.
 */

/** What the tools use of the platform (a whole Platform will do). */
export interface SandboxChainPlatform {
  db: Db;
  clock: Clock;
  config: { chains: Pick<ChainSettings, 'sandboxBlockTimeMs'> };
  providers: { chains: Chains };
}

/** Blocks one call may mine or reorganise at most. */
export const MAX_SANDBOX_BLOCKS = 10_000;

export interface SandboxDeposit {
  network: Network;
  asset: Asset;
  /** Any address valid for the network (a deposit address, the hot wallet to top it up). */
  to: string;
  amountMinor: bigint;
  /** The sender; a fixed outside address of the network by default. */
  from?: string;
}

/** Sends `amountMinor` of `asset` to `to`: mined in the next block, like a user's deposit. */
export async function sendSandboxDeposit(
  platform: SandboxChainPlatform,
  deposit: SandboxDeposit,
): Promise<{ hash: string; blockNumber: bigint; head: bigint }> {
  const { network, asset, amountMinor } = deposit;
  onSandboxChain(platform, network);
  if (!assetTravelsOn(asset, network)) throw invalid('asset', `${asset} does not travel on ${network}`);
  if (amountMinor <= 0n) throw invalid('amount', 'must be more than 0');
  const to = canonicalAddress(network, deposit.to);
  if (!to) throw invalid('to', `is not a valid ${network} address`);
  const from = deposit.from === undefined ? outsideSender(network) : canonicalAddress(network, deposit.from);
  if (!from) throw invalid('from', `is not a valid ${network} address`);
  return platform.db.transaction().execute(async (trx) => {
    const { head, depositsSent } = await readHead(trx, network, timing(platform), true);
    const sent = await insertDeposit(trx, { network, asset, from, to, amountMinor }, { head, depositsSent, now: platform.clock.now() });
    return { ...sent, head };
  });
}

/** Mines `blocks` empty blocks on top of the head at once (the clock mines one every SANDBOX_BLOCK_TIME too). */
export async function mineSandboxBlocks(
  platform: SandboxChainPlatform,
  request: { network: Network; blocks: number },
): Promise<{ head: bigint }> {
  onSandboxChain(platform, request.network);
  checkBlocks('blocks', request.blocks);
  return platform.db.transaction().execute(async (trx) => {
    await readHead(trx, request.network, timing(platform), true);
    await addMinedBlocks(trx, request.network, request.blocks);
    return { head: (await readHead(trx, request.network, timing(platform))).head };
  });
}

/**
 * Drops a transfer (pending or mined) as if it never reached a block: the adapter reports it unknown,
 * balances and deposits stop counting it, and a send's nonce is free again (the same wallet's later
 * sends are dropped with it). Broadcasting the same signed bytes again puts it back. 404 when the
 * chain has no such live transfer.
 */
export async function dropSandboxTransfer(
  platform: SandboxChainPlatform,
  request: { network: Network; hash: string },
): Promise<{ dropped: string[]; head: bigint }> {
  onSandboxChain(platform, request.network);
  return platform.db.transaction().execute(async (trx) => {
    const { head } = await readHead(trx, request.network, timing(platform), true);
    const transfer = await findTransfer(trx, request.network, request.hash);
    if (!transfer || transfer.dropped)
      throw new ApiError('not_found', `No live transfer ${request.hash} on the ${request.network} sandbox chain.`);
    return { dropped: await dropTransfers(trx, request.network, [request.hash], platform.clock.now()), head };
  });
}

/**
 * Reorganises the last `depth` blocks: they get new hashes (blockHash answers differently), and the
 * transfers mined in them go back to pending, mined again in the next block, or are dropped when
 * `dropTransfers` is set (a deposit that vanishes with the reorganisation).
 */
export async function reorgSandboxChain(
  platform: SandboxChainPlatform,
  request: { network: Network; depth: number; dropTransfers?: boolean },
): Promise<{ fromBlock: bigint; head: bigint; moved: string[]; dropped: string[] }> {
  onSandboxChain(platform, request.network);
  checkBlocks('depth', request.depth);
  return platform.db.transaction().execute(async (trx) => {
    const { head } = await readHead(trx, request.network, timing(platform), true);
    if (BigInt(request.depth) > head) throw invalid('depth', `must be at most the head (${head}): block 0 is genesis`);
    const fromBlock = head - BigInt(request.depth) + 1n;
    const drop = request.dropTransfers === true;
    const changed = await reorganise(trx, request.network, { fromBlock, head, drop, now: platform.clock.now() });
    return { fromBlock, head, moved: drop ? [] : changed, dropped: drop ? changed : [] };
  });
}

/** A fixed sender of deposits on the network when the operator names none ("the outside world"). */
export function outsideSender(network: Network): string {
  const seed = createHash('sha256').update(`sandbox-chain:outside-sender:${network}`).digest();
  return deriveSandboxAddress(NETWORKS[network].addressFormat, seed);
}

function onSandboxChain(platform: SandboxChainPlatform, network: Network): void {
  const chains = platform.providers.chains;
  const onSandbox = chains.networks.includes(network) && chains.chainFor(network).name === SANDBOX_CHAIN_NAME;
  if (!onSandbox) throw invalid('network', `${network} is not on the sandbox chain (CHAIN_ADAPTER_${network})`);
}

function checkBlocks(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_SANDBOX_BLOCKS)
    throw invalid(field, `must be a whole number from 1 to ${MAX_SANDBOX_BLOCKS}`);
}

function timing(platform: SandboxChainPlatform): SandboxChainTiming {
  return { clock: platform.clock, blockTimeMs: platform.config.chains.sandboxBlockTimeMs };
}

function invalid(field: string, issue: string): ApiError {
  return new ApiError('validation_error', `The sandbox chain cannot do that: ${field} ${issue}.`, { details: [{ field, issue }] });
}
