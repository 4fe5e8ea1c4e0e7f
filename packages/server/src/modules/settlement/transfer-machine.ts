import type { TransferIntentStatus } from './transfer-vocabulary.ts';

/**
 * The crypto transfer of one buy, without I/O: which moves are legal, and what the chain's answer
 * means for a transfer whose bytes are signed (reconcile). The worker (advance-transfer.ts) asks the
 * chain, calls `reconcile`, and records what it says.
 *
 *   queued ──► reserved ──► signed ──► broadcast ──► mined ──► confirmed
 *
 * - A transfer found further along than recorded (a crash between sending and recording) moves ahead:
 *   signed → mined or confirmed, broadcast → confirmed.
 * - A reorganisation below the depth moves a mined transfer back to broadcast (or to another block).
 * - A reserved nonce the chain has passed meanwhile, or a signed transfer whose nonce another
 *   transaction took for good, goes back to queued (signed again with a new nonce).
 * - Reverted (final at depth), or refused for good by the node or the signer: refunding → failed.
 *
 * Exactly once rests on three rules: a nonce is reserved (under the wallet's row lock), and the signed
 * bytes recorded with it, before anything is sent; only those bytes are ever sent again; and a new
 * signature is made only when no transaction can carry the old one any more (refused by the node
 * before it took them, or its nonce used by another transaction that is final). Re-signing a reserved
 * nonce that nothing was sent with is always safe: one nonce can carry one transaction only.
 */
const NEXT: Record<TransferIntentStatus, readonly TransferIntentStatus[]> = {
  queued: ['reserved', 'refunding'],
  reserved: ['signed', 'queued', 'refunding'],
  signed: ['broadcast', 'mined', 'confirmed', 'queued', 'refunding'],
  broadcast: ['mined', 'confirmed', 'queued', 'refunding'],
  mined: ['broadcast', 'mined', 'confirmed', 'queued', 'refunding'],
  confirmed: [],
  refunding: ['failed'],
  failed: [],
};

export function canMove(from: TransferIntentStatus, to: TransferIntentStatus): boolean {
  return NEXT[from].includes(to);
}

export function isFinal(status: TransferIntentStatus): boolean {
  return NEXT[status].length === 0;
}

/** What the platform recorded about a signed transfer. */
export interface RecordedTransfer {
  status: TransferIntentStatus;
  nonce: bigint;
  minedBlock: bigint | null;
  minedBlockHash: string | null;
  /** The head at which the transfer's nonce was first seen taken by another transaction, if it was. */
  nonceLostAtHead: bigint | null;
}

/**
 * What the chain says now. `canonicalHash` is the hash of the block the transfer is reported in, as the
 * current chain has it (a node mid-reorganisation can disagree with itself); `minedNonce` is read only
 * when the transfer is unknown, after that answer, and the transfer asked about again if the nonce
 * was taken (so a transfer mined between the two reads is never mistaken for a lost one).
 */
export type ChainView =
  | { state: 'mined'; blockNumber: bigint; blockHash: string; success: boolean; head: bigint; canonicalHash: string | null }
  | { state: 'pending'; head: bigint }
  | { state: 'unknown'; head: bigint; minedNonce: bigint };

export type Reconciliation =
  /** In a block, not deep enough yet: record the block (it may have moved) and wait. */
  | { do: 'wait_mined'; block: { number: bigint; hash: string }; confirmations: bigint; reorged: boolean }
  /** Deep enough: delivered (`success`) or reverted for good. */
  | { do: 'final'; success: boolean; block: { number: bigint; hash: string }; confirmations: bigint; reorged: boolean }
  /** Known to the node, in no block (any more): wait. */
  | { do: 'wait_pending'; reorged: boolean }
  /** Unknown to the node and its nonce still free: send the same signed bytes again. */
  | { do: 'rebroadcast'; reorged: boolean }
  /** Its nonce was taken by another transaction: note when (first time) and wait until that is final. */
  | { do: 'nonce_lost'; sinceHead: bigint; final: boolean; reorged: boolean };

/** Reads the chain's answer about a signed transfer; `depth` is the network's confirmation depth (≥ 1). */
export function reconcile(recorded: RecordedTransfer, view: ChainView, depth: number): Reconciliation {
  const wasMined = recorded.minedBlock !== null;
  switch (view.state) {
    case 'mined': {
      const { blockNumber, blockHash, success } = view;
      // The node reports a block its own chain no longer has: a reorganisation is under way.
      if (view.canonicalHash !== null && view.canonicalHash !== blockHash) return { do: 'wait_pending', reorged: wasMined };
      const block = { number: blockNumber, hash: blockHash };
      const reorged = wasMined && (recorded.minedBlock !== blockNumber || recorded.minedBlockHash !== blockHash);
      const confirmations = view.head >= blockNumber ? view.head - blockNumber + 1n : 0n;
      if (confirmations >= BigInt(depth)) return { do: 'final', success, block, confirmations, reorged };
      return { do: 'wait_mined', block, confirmations, reorged };
    }
    case 'pending':
      return { do: 'wait_pending', reorged: wasMined };
    case 'unknown': {
      if (view.minedNonce <= recorded.nonce) return { do: 'rebroadcast', reorged: wasMined };
      const sinceHead = recorded.nonceLostAtHead ?? view.head;
      const final = view.head - sinceHead + 1n >= BigInt(depth);
      return { do: 'nonce_lost', sinceHead, final, reorged: wasMined };
    }
  }
}

/**
 * The nonce a new signature takes: the lowest nonce released by a transfer the node refused (so no
 * gap is left behind it) that the chain has not used yet, else the wallet's next nonce, moved up to
 * the chain's if transactions the platform did not sign used the wallet meanwhile.
 */
export function pickNonce(input: { next: bigint; minedNonce: bigint; released: readonly bigint[] }): {
  nonce: bigint;
  fromReleased: boolean;
} {
  const usable = input.released.filter((nonce) => nonce >= input.minedNonce).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (usable.length > 0) return { nonce: usable[0]!, fromReleased: true };
  return { nonce: larger(input.next, input.minedNonce), fromReleased: false };
}

/** The larger of two bigints (Math.max takes numbers only). */
export function larger(a: bigint, b: bigint): bigint {
  if (a > b) return a;
  return b;
}

/** Waits after each failed round of one transfer (the node unreachable, a bug): never gives up, an alert tells the operator. */
const RETRY_DELAYS_MS = [1_000, 5_000, 15_000, 60_000, 300_000] as const;

export function retryDelayMs(consecutiveErrors: number): number {
  return RETRY_DELAYS_MS[Math.min(Math.max(consecutiveErrors, 1), RETRY_DELAYS_MS.length) - 1]!;
}

/** Consecutive failed rounds after which the operator is alerted (`chain_unavailable`). */
export const ALERT_AFTER_ERRORS = 5;
