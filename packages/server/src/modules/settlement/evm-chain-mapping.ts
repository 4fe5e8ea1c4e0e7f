import { type Address, BaseError, getAddress, type Hex, HttpRequestError, RpcRequestError, TimeoutError } from 'viem';
import type { Deposit, TransferStatus } from './chain-adapter.ts';

/**
 * The EVM adapter's pure half (evm-chain-adapter.ts does the calls): JSON-RPC answers to the
 * chain-adapter vocabulary, token amounts to catalog minor units, fees, and node errors to what they
 * mean for a transfer. No I/O; tested in evm-chain-mapping.test.ts.
 */

/** keccak256("Transfer(address,address,uint256)"): the ERC-20 Transfer event's topic 0. */
export const TRANSFER_TOPIC: Hex = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

/** Gas of a plain native-coin transfer (fixed by the protocol). */
export const NATIVE_TRANSFER_GAS = 21_000n;

/** An address as an indexed event topic: 12 zero bytes, then the 20 address bytes, lowercase. */
export function addressTopic(address: string): Hex {
  return `0x${'0'.repeat(24)}${address.slice(2).toLowerCase()}`;
}

/** The address in an indexed topic (EIP-55). */
export function topicAddress(topic: string): Address {
  return getAddress(`0x${topic.slice(-40)}`);
}

/**
 * Token units to the catalog's minor units. A token may have more decimals than the catalog's asset
 * (USDT on BNB Chain has 18, the catalog 6): the surplus digits are cut, rounding down, so a deposit
 * is never credited above what arrived (dust below one minor unit is ignored).
 */
export function tokenToMinor(value: bigint, tokenDecimals: number, assetDecimals: number): bigint {
  if (tokenDecimals < assetDecimals) throw new RangeError(`a token with ${tokenDecimals} decimals cannot carry ${assetDecimals}`);
  return value / 10n ** BigInt(tokenDecimals - assetDecimals);
}

/** The catalog's minor units to token units (exact). */
export function minorToToken(amountMinor: bigint, tokenDecimals: number, assetDecimals: number): bigint {
  if (tokenDecimals < assetDecimals) throw new RangeError(`a token with ${tokenDecimals} decimals cannot carry ${assetDecimals}`);
  return amountMinor * 10n ** BigInt(tokenDecimals - assetDecimals);
}

export type FeeFields = { type: 'eip1559'; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { type: 'legacy'; gasPrice: bigint };

/**
 * The fee a transfer is signed with, from the node's answers at signing time. EIP-1559 when the latest
 * block has a base fee: at most twice that base fee plus the node's suggested tip, so the transfer
 * still fits after six full blocks in a row (each may raise the base fee by 12.5%); what is not used
 * of the cap is not paid. Legacy (a single gas price, the node's) otherwise. The signed bytes fix the
 * fee: a transfer stuck under a rising fee waits (or is replaced by one signed with the same nonce).
 */
export function feeFields(answers: { baseFeePerGas: bigint | null; priorityFee: bigint | null; gasPrice: bigint | null }): FeeFields {
  if (answers.baseFeePerGas !== null) {
    const tip = answers.priorityFee ?? 0n;
    return { type: 'eip1559', maxFeePerGas: answers.baseFeePerGas * 2n + tip, maxPriorityFeePerGas: tip };
  }
  if (answers.gasPrice === null) throw new RangeError('the node gave neither a base fee nor a gas price');
  return { type: 'legacy', gasPrice: answers.gasPrice };
}

/** A receipt as eth_getTransactionReceipt answers it (the fields read here). */
export interface RpcReceipt {
  blockNumber: Hex;
  blockHash: Hex;
  status?: Hex | null;
}

/** A transaction as eth_getTransactionByHash / eth_getBlockByNumber(…, true) answer it. */
export interface RpcTransaction {
  hash: Hex;
  from: Hex;
  to: Hex | null;
  value: Hex;
  blockNumber: Hex | null;
  blockHash: Hex | null;
}

/** A log as eth_getLogs answers it. */
export interface RpcLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex | null;
  blockHash: Hex | null;
  transactionHash: Hex | null;
  logIndex: Hex | null;
  removed?: boolean;
}

/** Mined when there is a receipt (status 0x1 is success; pre-Byzantium receipts without one count as success), pending when only the transaction is known. */
export function transferStatusFrom(receipt: RpcReceipt | null, transaction: RpcTransaction | null): TransferStatus {
  if (receipt) {
    return {
      state: 'mined',
      blockNumber: BigInt(receipt.blockNumber),
      blockHash: receipt.blockHash,
      success: receipt.status === undefined || receipt.status === null || BigInt(receipt.status) === 1n,
    };
  }
  return transaction ? { state: 'pending' } : { state: 'unknown' };
}

/**
 * A Transfer log into one of the watched addresses as a deposit; null for a log that is not one
 * (removed by a reorganisation, not a Transfer, pending, not to a watched address, or worth less than
 * one minor unit). `spelling` maps each watched address in lowercase to the caller's own spelling.
 */
export function depositFromLog(
  log: RpcLog,
  context: { spelling: Map<string, string>; tokenDecimals: number; assetDecimals: number },
): Deposit | null {
  if (log.removed || log.topics.length !== 3 || log.topics[0]?.toLowerCase() !== TRANSFER_TOPIC) return null;
  if (log.blockNumber === null || log.blockHash === null || log.transactionHash === null || log.logIndex === null) return null;
  const to = context.spelling.get(topicAddress(log.topics[2]!).toLowerCase());
  if (to === undefined || !/^0x[0-9a-fA-F]{1,64}$/.test(log.data)) return null;
  const amountMinor = tokenToMinor(BigInt(log.data), context.tokenDecimals, context.assetDecimals);
  if (amountMinor === 0n) return null;
  return {
    hash: log.transactionHash,
    logIndex: Number(BigInt(log.logIndex)),
    from: topicAddress(log.topics[1]!),
    to,
    amountMinor,
    blockNumber: BigInt(log.blockNumber),
    blockHash: log.blockHash,
  };
}

/** A native-coin transfer into a watched address as a deposit (log index -1: the transaction's own value has no log). */
export function depositFromTransaction(
  transaction: RpcTransaction,
  context: { spelling: Map<string, string>; assetDecimals: number },
): Deposit | null {
  if (transaction.to === null || transaction.blockNumber === null || transaction.blockHash === null) return null;
  const to = context.spelling.get(transaction.to.toLowerCase());
  if (to === undefined) return null;
  const amountMinor = tokenToMinor(BigInt(transaction.value), 18, context.assetDecimals);
  if (amountMinor === 0n) return null;
  return {
    hash: transaction.hash,
    logIndex: -1,
    from: getAddress(transaction.from),
    to,
    amountMinor,
    blockNumber: BigInt(transaction.blockNumber),
    blockHash: transaction.blockHash,
  };
}

export function byBlockThenLog(a: Deposit, b: Deposit): number {
  if (a.blockNumber !== b.blockNumber) return a.blockNumber < b.blockNumber ? -1 : 1;
  return a.logIndex - b.logIndex;
}

/**
 * What a failed JSON-RPC call means.
 * - `unreachable`: no usable answer (refused, timed out, HTTP 429/5xx, the node's rate limit).
 * - `known`: eth_sendRawTransaction of bytes the node already has in its pool.
 * - `nonce_too_low`: the nonce is used; the same bytes may be the ones that used it (look them up).
 * - `pool_conflict`: another transaction with this nonce waits in the pool (replacement underpriced).
 * - `cannot_pay`: the sender cannot pay value + fee now.
 * - `too_many_results`: eth_getLogs over too many blocks or logs for this provider: ask for less.
 * - `refused`: any other answer of the node refusing the request.
 */
export type RpcFailure = 'unreachable' | 'known' | 'nonce_too_low' | 'pool_conflict' | 'cannot_pay' | 'too_many_results' | 'refused';

export function classifyRpcFailure(error: unknown): RpcFailure {
  const text = nodeMessage(error).toLowerCase();
  if (/already known|already imported|known transaction|alreadyknown|already exists|already in (the )?(tx)?pool/.test(text)) return 'known';
  if (/nonce too low|nonce is too low|noncetoolow|oldnonce|invalid nonce.*lower|nonce has already been used/.test(text))
    return 'nonce_too_low';
  if (/replacement transaction underpriced|replacement fee too low|replacementnotallowed|already.*same nonce/.test(text))
    return 'pool_conflict';
  if (/insufficient funds|insufficient balance for transfer/.test(text)) return 'cannot_pay';
  if (
    /query returned more than|response size|too many (results|logs|blocks)|block range|range (is )?too (large|wide)|limit exceeded.*logs|exceed.*range/.test(
      text,
    )
  )
    return 'too_many_results';
  if (error instanceof BaseError) {
    const http = error.walk((cause) => cause instanceof HttpRequestError) as HttpRequestError | null;
    if (http && (http.status === undefined || http.status === 429 || http.status >= 500)) return 'unreachable';
    if (error.walk((cause) => cause instanceof TimeoutError)) return 'unreachable';
    const rpc = error.walk((cause) => cause instanceof RpcRequestError) as RpcRequestError | null;
    // -32005: the node's rate limit (EIP-1474 "limit exceeded").
    if (rpc) return rpc.code === -32005 || /rate limit|too many requests/.test(text) ? 'unreachable' : 'refused';
    if (http) return 'unreachable';
  }
  return 'unreachable';
}

/** The node's own words when it answered with an error (viem's `details`), else the error's short message. */
export function nodeMessage(error: unknown): string {
  if (error instanceof BaseError) return error.details || error.shortMessage || error.message;
  return error instanceof Error ? error.message : String(error);
}

/** `text` with every secret replaced: the RPC URL (which may carry an API key) and the private key. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 8) continue;
    out = out.split(secret).join('[redacted]');
    const bare = secret.startsWith('0x') ? secret.slice(2) : null;
    if (bare) out = out.split(bare).join('[redacted]');
  }
  return out;
}
