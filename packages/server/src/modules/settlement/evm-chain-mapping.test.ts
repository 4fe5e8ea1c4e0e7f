import { HttpRequestError, keccak256, RpcRequestError, TimeoutError, TransactionRejectedRpcError, toHex } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  addressTopic,
  classifyRpcFailure,
  depositFromLog,
  depositFromTransaction,
  feeFields,
  minorToToken,
  type RpcLog,
  type RpcTransaction,
  redact,
  TRANSFER_TOPIC,
  tokenToMinor,
  topicAddress,
  transferStatusFrom,
} from './evm-chain-mapping.ts';

const WATCHED = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
const SENDER = '0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2';
const BLOCK_HASH = `0x${'b1'.repeat(32)}` as const;
const TX_HASH = `0x${'7a'.repeat(32)}` as const;

/** A node's JSON-RPC error as viem raises it from client.request. */
function nodeError(details: string, code = -32003): Error {
  const request = new RpcRequestError({
    body: { method: 'eth_sendRawTransaction' },
    error: { code, message: details },
    url: 'http://node',
  });
  return new TransactionRejectedRpcError(request);
}

describe('evm mapping', () => {
  it('has the Transfer topic of the ERC-20 event, and puts addresses in topics and back', () => {
    expect(TRANSFER_TOPIC).toBe(keccak256(toHex('Transfer(address,address,uint256)')));
    const topic = addressTopic(WATCHED);
    expect(topic).toBe(`0x000000000000000000000000${WATCHED.slice(2).toLowerCase()}`);
    expect(topicAddress(topic)).toBe(WATCHED);
  });

  it('scales token units to catalog minor units exactly up, rounding down on the way back', () => {
    expect(minorToToken(2_500_000n, 18, 6)).toBe(2_500_000_000_000_000_000n);
    expect(tokenToMinor(2_500_000_999_999_999_999n, 18, 6)).toBe(2_500_000n);
    expect(tokenToMinor(123n, 6, 6)).toBe(123n);
    expect(() => tokenToMinor(1n, 2, 6)).toThrow(RangeError);
  });

  it('signs EIP-1559 at twice the base fee plus the tip, legacy at the node’s gas price', () => {
    expect(feeFields({ baseFeePerGas: 30n, priorityFee: 2n, gasPrice: null })).toEqual({
      type: 'eip1559',
      maxFeePerGas: 62n,
      maxPriorityFeePerGas: 2n,
    });
    expect(feeFields({ baseFeePerGas: 0n, priorityFee: null, gasPrice: null })).toEqual({
      type: 'eip1559',
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
    });
    expect(feeFields({ baseFeePerGas: null, priorityFee: null, gasPrice: 5_000_000_000n })).toEqual({
      type: 'legacy',
      gasPrice: 5_000_000_000n,
    });
  });

  it('reads a receipt as mined (status 1 success, 0 reverted), a known transaction as pending, nothing as unknown', () => {
    expect(transferStatusFrom({ blockNumber: '0x10', blockHash: BLOCK_HASH, status: '0x1' }, null)).toEqual({
      state: 'mined',
      blockNumber: 16n,
      blockHash: BLOCK_HASH,
      success: true,
    });
    expect(transferStatusFrom({ blockNumber: '0x10', blockHash: BLOCK_HASH, status: '0x0' }, null)).toMatchObject({ success: false });
    const pending = { hash: TX_HASH, from: SENDER, to: WATCHED, value: '0x0', blockNumber: null, blockHash: null } as const;
    expect(transferStatusFrom(null, pending)).toEqual({ state: 'pending' });
    expect(transferStatusFrom(null, null)).toEqual({ state: 'unknown' });
  });

  const log = (overrides: Partial<RpcLog> = {}): RpcLog => ({
    address: '0xdAC17F958D2ee523a2206206994597C13D831ec7',
    topics: [TRANSFER_TOPIC, addressTopic(SENDER), addressTopic(WATCHED)],
    data: toHex(12_340_000n, { size: 32 }),
    blockNumber: '0x2a',
    blockHash: BLOCK_HASH,
    transactionHash: TX_HASH,
    logIndex: '0x3',
    removed: false,
    ...overrides,
  });
  const context = { spelling: new Map([[WATCHED.toLowerCase(), WATCHED.toLowerCase()]]), tokenDecimals: 6, assetDecimals: 6 };

  it('turns a Transfer log into a deposit in the caller’s spelling', () => {
    expect(depositFromLog(log(), context)).toEqual({
      hash: TX_HASH,
      logIndex: 3,
      from: SENDER,
      to: WATCHED.toLowerCase(),
      amountMinor: 12_340_000n,
      blockNumber: 42n,
      blockHash: BLOCK_HASH,
    });
  });

  it('ignores logs that are no deposit: removed, pending, another event, another recipient, worth less than a minor unit', () => {
    expect(depositFromLog(log({ removed: true }), context)).toBeNull();
    expect(depositFromLog(log({ blockNumber: null }), context)).toBeNull();
    expect(depositFromLog(log({ topics: [`0x${'00'.repeat(32)}`, addressTopic(SENDER), addressTopic(WATCHED)] }), context)).toBeNull();
    expect(depositFromLog(log({ topics: [TRANSFER_TOPIC, addressTopic(WATCHED), addressTopic(SENDER)] }), context)).toBeNull();
    expect(depositFromLog(log({ data: toHex(0n, { size: 32 }) }), context)).toBeNull();
    expect(depositFromLog(log({ data: toHex(999_999_999_999n, { size: 32 }) }), { ...context, tokenDecimals: 18 })).toBeNull();
  });

  it('turns a native transfer into a deposit with log index -1', () => {
    const transaction: RpcTransaction = {
      hash: TX_HASH,
      from: SENDER.toLowerCase() as `0x${string}`,
      to: WATCHED.toLowerCase() as `0x${string}`,
      value: '0x5',
      blockNumber: '0x7',
      blockHash: BLOCK_HASH,
    };
    expect(depositFromTransaction(transaction, { spelling: context.spelling, assetDecimals: 18 })).toEqual({
      hash: TX_HASH,
      logIndex: -1,
      from: SENDER,
      to: WATCHED.toLowerCase(),
      amountMinor: 5n,
      blockNumber: 7n,
      blockHash: BLOCK_HASH,
    });
    expect(depositFromTransaction({ ...transaction, to: null }, { spelling: context.spelling, assetDecimals: 18 })).toBeNull();
    expect(depositFromTransaction({ ...transaction, value: '0x0' }, { spelling: context.spelling, assetDecimals: 18 })).toBeNull();
  });

  it('tells what a node’s error means for a transfer, in the words of geth, Erigon, Nethermind, Besu and anvil', () => {
    const cases: [string, ReturnType<typeof classifyRpcFailure>][] = [
      ['already known', 'known'],
      ['transaction already imported', 'known'],
      ['Known transaction', 'known'],
      ['AlreadyKnown', 'known'],
      ['ALREADY_EXISTS: already known', 'known'],
      ['nonce too low: next nonce 8, tx nonce 7', 'nonce_too_low'],
      ['OldNonce, Current nonce: 8, nonce of rejected tx: 7', 'nonce_too_low'],
      ['replacement transaction underpriced', 'pool_conflict'],
      ['insufficient funds for gas * price + value: balance 0', 'cannot_pay'],
      ['Insufficient funds for gas * price + value', 'cannot_pay'],
      ['query returned more than 10000 results', 'too_many_results'],
      ['block range is too large', 'too_many_results'],
      ['invalid chain id for signer', 'refused'],
      ['Failed to decode transaction', 'refused'],
    ];
    for (const [words, meaning] of cases) expect(classifyRpcFailure(nodeError(words)), words).toBe(meaning);
    expect(classifyRpcFailure(nodeError('daily request count exceeded, request rate limited', -32005))).toBe('unreachable');
    expect(classifyRpcFailure(new HttpRequestError({ url: 'http://node', status: 503, details: 'Service Unavailable' }))).toBe(
      'unreachable',
    );
    expect(classifyRpcFailure(new HttpRequestError({ url: 'http://node', details: 'fetch failed' }))).toBe('unreachable');
    expect(classifyRpcFailure(new TimeoutError({ body: {}, url: 'http://node' }))).toBe('unreachable');
    expect(classifyRpcFailure(new Error('socket hang up'))).toBe('unreachable');
  });

  it('redacts secrets with or without their 0x', () => {
    const key = `0x${'ab'.repeat(32)}`;
    expect(redact(`key ${key} and ${key.slice(2)} at https://rpc.example/v3/token123`, [key, 'https://rpc.example/v3/token123'])).toBe(
      'key [redacted] and [redacted] at [redacted]',
    );
  });
});
