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
   * `to`, with the given nonce. Deterministic for the same inputs and the same network fee (the EVM
   * adapter reads the fee from the node when signing, and the signed bytes fix it); broadcasts nothing.
   * A transfer the sender cannot cover is still signed: it is mined reverted (`success: false`).
   *
   * @throws ProviderError `rejected` (not retryable) for an asset the network does not carry here or
   *   an address invalid for the network; `unavailable` when the fee cannot be read.
   */
  signTransfer(request: SignTransferRequest): Promise<SignedTransfer>;

  /**
   * Sends signed bytes to the network. A transfer the network already has (pending or mined) is not an
   * error, so the same bytes may be sent again after a crash.
   *
   * @throws ProviderError `rejected` when the network refuses the bytes: `retryable: false` when they
   *   can never be mined (their nonce is used by another transfer, malformed, another chain's),
   *   `retryable: true` when they may be later (the sender cannot pay the network fee yet, another
   *   transfer with this nonce waits in the pool); `unavailable` when the node does not answer.
   */
  broadcast(request: { network: Network; raw: string }): Promise<void>;

  /**
   * Where a transfer stands: unknown to the node, waiting in its pool, or mined (successfully or
   * reverted). After a reorganisation the same transfer may be reported pending again, or in another block.
   */
  transferStatus(request: { network: Network; hash: string }): Promise<TransferStatus>;

  /** The latest block number: a transfer mined at block b has head − b + 1 confirmations. */
  head(request: { network: Network }): Promise<bigint>;

  /** The hash of block `number` on the current chain, or null past the head (reorganisations show as a change). */
  blockHash(request: { network: Network; number: bigint }): Promise<string | null>;

  /** How many transfers the hot wallet has had mined (the next nonce the chain expects). */
  minedNonce(request: { network: Network }): Promise<bigint>;

  /** A balance in minor units: the hot wallet's when `address` is omitted. */
  balance(request: { network: Network; asset: Asset; address?: string }): Promise<bigint>;

  /**
   * Successful transfers of `asset` into any of `addresses` mined in blocks [fromBlock, toBlock], oldest
   * first (block, then position in it). Addresses compare as the network does (case-insensitive on the EVM).
   */
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
  /**
   * The transaction hash and the log index within it: together they name the deposit once. A native
   * coin transfer on the EVM (the transaction's own value, which has no log) has logIndex -1; the
   * sandbox chain carries one transfer per transaction, logIndex 0.
   */
  hash: string;
  logIndex: number;
  from: string;
  /** As the query named it (the same spelling), so it matches the address the caller stored. */
  to: string;
  /** In the asset's minor units (catalog decimals); a token with more decimals is scaled down, rounding down. */
  amountMinor: bigint;
  blockNumber: bigint;
  blockHash: string;
}

/**
 * The chain adapters of every network (`platform.providers.chains`), as configured per network
 * (CHAIN_ADAPTER_<NETWORK>), with each network's confirmation depth (CONFIRMATIONS_<NETWORK>).
 */
export interface Chains {
  /** The networks that have an adapter (not `none`). */
  readonly networks: readonly Network[];
  /**
   * The adapter of one network.
   *
   * @throws ProviderError `rejected` (not retryable) when the network has none configured.
   * @example
   * const chain = platform.providers.chains.chainFor('ERC20');
   * const signed = await chain.signTransfer({ network: 'ERC20', asset: 'USDT', to, amountMinor: 25_500_000n, nonce: 7n });
   */
  chainFor(network: Network): ChainAdapter;
  /** Confirmations a transfer on `network` needs before it counts as final (≥ 1): mined at b, final once head − b + 1 reaches it. */
  confirmationsFor(network: Network): number;
}
