import type { Asset, Network } from '../../lib/catalog.ts';

/**
 * One blockchain family behind one interface (the EVM through viem, the sandbox chain for the
 * networks the platform cannot reach from here), chosen per network in configuration. Owned by the
 * settlement module; src/providers.ts builds the adapters. Every method takes one options object;
 * an unreachable or failing node throws ProviderError (`unavailable`), never anything else.
 *
 * Sending is split so a transfer can be made exactly once: `signTransfer` produces the signed bytes
 * and their hash without touching the network, the caller records both (with the nonce it reserved)
 * before `broadcast`, and after a crash `transferStatus` tells mined, pending and unknown apart so the
 * same signed bytes are broadcast again rather than a new transfer signed.
 */
export interface ChainAdapter {
  /** A short stable id ("evm", "sandbox-chain"): in logs and ProviderError.provider. */
  readonly name: string;
  /** The networks this adapter serves. */
  readonly networks: readonly Network[];

  /** The hot wallet the platform sends from on this network (never the key). */
  hotWalletAddress(request: { network: Network }): string;

  /**
   * Builds and signs a transfer of `amountMinor` of `asset` (a token transfer, or the native coin) to
   * `to`, with the given nonce. Deterministic for the same inputs; broadcasts nothing.
   */
  signTransfer(request: SignTransferRequest): Promise<SignedTransfer>;

  /** Sends signed bytes to the network. A transfer the network already has is not an error. */
  broadcast(request: { network: Network; raw: string }): Promise<void>;

  /** Where a transfer stands: unknown to the node, waiting in its pool, or mined (successfully or reverted). */
  transferStatus(request: { network: Network; hash: string }): Promise<TransferStatus>;

  /** The latest block number: a transfer mined at block b has head − b + 1 confirmations. */
  head(request: { network: Network }): Promise<bigint>;

  /** The hash of block `number` on the current chain, or null past the head (reorganisations show as a change). */
  blockHash(request: { network: Network; number: bigint }): Promise<string | null>;

  /** How many transfers the hot wallet has had mined (the next nonce the chain expects). */
  minedNonce(request: { network: Network }): Promise<bigint>;

  /** A balance in minor units: the hot wallet's when `address` is omitted. */
  balance(request: { network: Network; asset: Asset; address?: string }): Promise<bigint>;

  /** Transfers of `asset` into any of `addresses` mined in blocks [fromBlock, toBlock], oldest first. */
  deposits(request: DepositQuery): Promise<Deposit[]>;
}

export interface SignTransferRequest {
  network: Network;
  asset: Asset;
  to: string;
  amountMinor: bigint;
  nonce: bigint;
}

export interface SignedTransfer {
  /** The transaction hash, known before anything is broadcast. */
  hash: string;
  /** The signed transaction as the network takes it (hex for the EVM). */
  raw: string;
}

export type TransferStatus =
  | { state: 'unknown' }
  | { state: 'pending' }
  | { state: 'mined'; blockNumber: bigint; blockHash: string; success: boolean };

export interface DepositQuery {
  network: Network;
  asset: Asset;
  addresses: readonly string[];
  fromBlock: bigint;
  toBlock: bigint;
}

export interface Deposit {
  /** The transaction hash and the log index within it: together they name the deposit once. */
  hash: string;
  logIndex: number;
  from: string;
  to: string;
  amountMinor: bigint;
  blockNumber: bigint;
  blockHash: string;
}
