import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deriveSandboxAddress, validateAddress } from '../../src/lib/address.ts';
import { type Asset, NETWORKS, type Network } from '../../src/lib/catalog.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import type { ChainAdapter, Deposit } from '../../src/modules/settlement/chain-adapter.ts';

/**
 * The scenarios every ChainAdapter passes, on a real chain it controls through a kit: signing gives the
 * hash before anything is sent and is deterministic; broadcasting twice is harmless; a transfer goes
 * unknown → pending → mined, its confirmations growing with the head; a transfer the hot wallet cannot
 * cover is mined reverted; balances move by exactly the amount; deposits are found by address with
 * their hash, log index, amount and block; block hashes change with a reorganisation; the mined nonce
 * counts; a used nonce is refused for good; an unreachable chain is `unavailable`.
 */
export interface ChainKit {
  adapter: ChainAdapter;
  network: Network;
  /** A token (or coin) the hot wallet holds plenty of, whose network fee is not paid in it. */
  asset: Asset;
  /** A fresh address of the network nobody has used. */
  newAddress(): string;
  /** Mines `blocks` blocks now. */
  mine(blocks: number): Promise<void>;
  /** Stops mining on its own (a broadcast transfer stays pending) until the test ends. */
  hold(): Promise<void>;
  /** Sends `amountMinor` of `asset` to `to` from an outside sender, mined at once (one block). */
  deposit(request: { asset: Asset; to: string; amountMinor: bigint }): Promise<{ hash: string }>;
  /** Marks the head; `reorganise` later replaces every block after it with different ones (at least as many). */
  fork(): Promise<{ reorganise(): Promise<void> }>;
  /** The same adapter pointed at a chain that does not answer. */
  unreachable(): ChainAdapter;
  /** Before and after each test (a snapshot to return to, automatic mining back on). */
  beforeEach?(): Promise<void>;
  afterEach?(): Promise<void>;
  close?(): Promise<void>;
}

export interface ChainQuirks {
  /** Addresses compare case-insensitively (the EVM): a deposit is found under another spelling of its address. */
  caseInsensitiveAddresses?: boolean;
  /** The network's native coin, when its transfers pay their own fee (balance moves checked on the recipient only). */
  nativeAsset?: Asset;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    (value) => new Error(`expected a ProviderError, got ${String(value)}`),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

export function describeChainAdapter(label: string, make: () => Promise<ChainKit>, quirks: ChainQuirks = {}): void {
  describe(`ChainAdapter conformance: ${label}`, () => {
    let kit: ChainKit;
    let chain: ChainAdapter;
    let network: Network;
    let asset: Asset;

    beforeAll(async () => {
      kit = await make();
      ({ adapter: chain, network, asset } = kit);
    });
    afterAll(async () => {
      await kit?.close?.();
    });
    beforeEach(async () => {
      await kit.beforeEach?.();
    });
    afterEach(async () => {
      await kit.afterEach?.();
    });

    const confirmations = async (hash: string): Promise<bigint> => {
      const status = await chain.transferStatus({ network, hash });
      if (status.state !== 'mined') return 0n;
      return (await chain.head({ network })) - status.blockNumber + 1n;
    };

    /** Signs and broadcasts a transfer from the hot wallet at its next nonce, then mines it. */
    const send = async (to: string, amountMinor: bigint, sent: Asset = asset) => {
      const nonce = await chain.minedNonce({ network });
      const signed = await chain.signTransfer({ network, asset: sent, to, amountMinor, nonce });
      await chain.broadcast({ network, raw: signed.raw });
      await kit.mine(1);
      return signed;
    };

    it('has a short name and serves its network; the hot wallet address is valid there', () => {
      expect(chain.name).toMatch(/^[a-z][a-z0-9-]{1,30}$/);
      expect(chain.networks).toContain(network);
      const address = chain.hotWalletAddress({ network });
      expect(validateAddress(NETWORKS[network].addressFormat, address)).toEqual({ ok: true, address });
    });

    it('gives the hash before anything is sent, the same for the same transfer, another for another nonce or amount', async () => {
      const to = kit.newAddress();
      const nonce = await chain.minedNonce({ network });
      const request = { network, asset, to, amountMinor: 1_500_000n, nonce };
      const signed = await chain.signTransfer(request);
      expect(signed.hash).toMatch(/^(0x)?[0-9a-f]{64}$/);
      expect(await chain.signTransfer(request)).toEqual(signed);
      expect((await chain.signTransfer({ ...request, nonce: nonce + 1n })).hash).not.toBe(signed.hash);
      expect((await chain.signTransfer({ ...request, amountMinor: 1_500_001n })).hash).not.toBe(signed.hash);
      expect(await chain.transferStatus({ network, hash: signed.hash })).toEqual({ state: 'unknown' });
      expect(await chain.minedNonce({ network })).toBe(nonce);
    });

    it('takes the same signed bytes twice, pending or mined; the transfer goes unknown → pending → mined, confirmations growing with the head', async () => {
      await kit.hold();
      const to = kit.newAddress();
      const signed = await chain.signTransfer({ network, asset, to, amountMinor: 2_000_000n, nonce: await chain.minedNonce({ network }) });
      expect(await chain.transferStatus({ network, hash: signed.hash })).toEqual({ state: 'unknown' });
      await chain.broadcast({ network, raw: signed.raw });
      await chain.broadcast({ network, raw: signed.raw });
      expect(await chain.transferStatus({ network, hash: signed.hash })).toEqual({ state: 'pending' });

      await kit.mine(1);
      const mined = await chain.transferStatus({ network, hash: signed.hash });
      expect(mined).toMatchObject({ state: 'mined', success: true });
      if (mined.state !== 'mined') throw new Error('not mined');
      expect(await chain.head({ network })).toBe(mined.blockNumber);
      expect(await chain.blockHash({ network, number: mined.blockNumber })).toBe(mined.blockHash);
      expect(await confirmations(signed.hash)).toBe(1n);

      await chain.broadcast({ network, raw: signed.raw });
      await kit.mine(2);
      expect(await confirmations(signed.hash)).toBe(3n);
      expect(await chain.transferStatus({ network, hash: signed.hash })).toEqual(mined);
    });

    it('moves balances by exactly the amount', async () => {
      const to = kit.newAddress();
      const before = await chain.balance({ network, asset });
      expect(before).toBeGreaterThan(10_000_000n);
      expect(await chain.balance({ network, asset, address: to })).toBe(0n);
      await send(to, 7_654_321n);
      expect(await chain.balance({ network, asset, address: to })).toBe(7_654_321n);
      expect(await chain.balance({ network, asset })).toBe(before - 7_654_321n);
    });

    it('mines a transfer the hot wallet cannot cover as reverted: success false, nothing moves', async () => {
      const to = kit.newAddress();
      const before = await chain.balance({ network, asset });
      const signed = await send(to, before + 1n);
      expect(await chain.transferStatus({ network, hash: signed.hash })).toMatchObject({ state: 'mined', success: false });
      expect(await chain.balance({ network, asset })).toBe(before);
      expect(await chain.balance({ network, asset, address: to })).toBe(0n);
      const deposits = await chain.deposits({ network, asset, addresses: [to], fromBlock: 0n, toBlock: await chain.head({ network }) });
      expect(deposits).toEqual([]);
    });

    it('counts mined nonces, and refuses for good a transfer whose nonce another one used', async () => {
      const start = await chain.minedNonce({ network });
      const first = await send(kit.newAddress(), 1n);
      expect(await chain.minedNonce({ network })).toBe(start + 1n);
      await send(kit.newAddress(), 2n);
      await send(kit.newAddress(), 3n);
      expect(await chain.minedNonce({ network })).toBe(start + 3n);

      const rival = await chain.signTransfer({ network, asset, to: kit.newAddress(), amountMinor: 4n, nonce: start });
      expect(rival.hash).not.toBe(first.hash);
      expect(await failure(chain.broadcast({ network, raw: rival.raw }))).toMatchObject({
        provider: chain.name,
        kind: 'rejected',
        retryable: false,
      });
      await chain.broadcast({ network, raw: first.raw });
      expect(await chain.transferStatus({ network, hash: rival.hash })).toEqual({ state: 'unknown' });
    });

    it('finds deposits into watched addresses with hash, log index, amount and block, oldest first', async () => {
      const [one, two, other] = [kit.newAddress(), kit.newAddress(), kit.newAddress()];
      const from = (await chain.head({ network })) + 1n;
      const first = await kit.deposit({ asset, to: one, amountMinor: 12_340_000n });
      await kit.deposit({ asset, to: other, amountMinor: 5n });
      const second = await kit.deposit({ asset, to: two, amountMinor: 1n });
      const third = await kit.deposit({ asset, to: one, amountMinor: 99_000_000n });
      const head = await chain.head({ network });

      const found = await chain.deposits({ network, asset, addresses: [one, two], fromBlock: from, toBlock: head });
      expect(found.map((deposit) => [deposit.hash, deposit.to, deposit.amountMinor])).toEqual([
        [first.hash, one, 12_340_000n],
        [second.hash, two, 1n],
        [third.hash, one, 99_000_000n],
      ]);
      for (const deposit of found) {
        expect(deposit.logIndex).toBeGreaterThanOrEqual(0);
        expect(deposit.blockNumber).toBeGreaterThanOrEqual(from);
        expect(await chain.blockHash({ network, number: deposit.blockNumber })).toBe(deposit.blockHash);
        expect(validateAddress(NETWORKS[network].addressFormat, deposit.from).ok).toBe(true);
        expect(await chain.transferStatus({ network, hash: deposit.hash })).toMatchObject({
          state: 'mined',
          blockNumber: deposit.blockNumber,
        });
      }
      const onlySecond = await chain.deposits({
        network,
        asset,
        addresses: [one, two],
        fromBlock: found[1]!.blockNumber,
        toBlock: found[1]!.blockNumber,
      });
      expect(onlySecond).toEqual([found[1]]);
      expect(await chain.deposits({ network, asset, addresses: [kit.newAddress()], fromBlock: from, toBlock: head })).toEqual([]);
      expect(await chain.balance({ network, asset, address: one })).toBe(111_340_000n);
    });

    it('counts a transfer from the hot wallet as a deposit to its recipient', async () => {
      const to = kit.newAddress();
      const from = (await chain.head({ network })) + 1n;
      const signed = await send(to, 3_000_000n);
      const [deposit, ...rest] = await chain.deposits({
        network,
        asset,
        addresses: [to],
        fromBlock: from,
        toBlock: await chain.head({ network }),
      });
      expect(rest).toEqual([]);
      expect(deposit).toMatchObject({
        hash: signed.hash,
        to,
        amountMinor: 3_000_000n,
        from: chain.hotWalletAddress({ network }),
      } satisfies Partial<Deposit>);
    });

    if (quirks.caseInsensitiveAddresses) {
      it('matches addresses whatever their case, answering with the spelling it was asked with', async () => {
        const to = kit.newAddress();
        const from = (await chain.head({ network })) + 1n;
        await kit.deposit({ asset, to: to.toLowerCase(), amountMinor: 42n });
        const found = await chain.deposits({ network, asset, addresses: [to], fromBlock: from, toBlock: await chain.head({ network }) });
        expect(found.map((deposit) => deposit.to)).toEqual([to]);
        const lower = await chain.deposits({
          network,
          asset,
          addresses: [to.toLowerCase()],
          fromBlock: from,
          toBlock: await chain.head({ network }),
        });
        expect(lower.map((deposit) => deposit.to)).toEqual([to.toLowerCase()]);
        expect(await chain.balance({ network, asset, address: to.toLowerCase() })).toBe(42n);
      });
    }

    const native = quirks.nativeAsset;
    if (native) {
      it(`sends and finds the native coin (${native})`, async () => {
        const to = kit.newAddress();
        const from = (await chain.head({ network })) + 1n;
        const signed = await send(to, 1_000_000n, native);
        expect(await chain.transferStatus({ network, hash: signed.hash })).toMatchObject({ state: 'mined', success: true });
        expect(await chain.balance({ network, asset: native, address: to })).toBe(1_000_000n);
        const deposited = await kit.deposit({ asset: native, to, amountMinor: 5n });
        const found = await chain.deposits({
          network,
          asset: native,
          addresses: [to],
          fromBlock: from,
          toBlock: await chain.head({ network }),
        });
        expect(found.map((deposit) => [deposit.hash, deposit.amountMinor])).toEqual([
          [signed.hash, 1_000_000n],
          [deposited.hash, 5n],
        ]);
        expect(await chain.balance({ network, asset: native, address: to })).toBe(1_000_005n);
      });
    }

    it('gives the blocks after a reorganisation new hashes, and keeps the ones before', async () => {
      await kit.mine(2);
      const fork = await kit.fork();
      const kept = await chain.head({ network });
      const keptHash = await chain.blockHash({ network, number: kept });
      const deposit = await kit.deposit({ asset, to: kit.newAddress(), amountMinor: 77n });
      await kit.mine(2);
      const old = await chain.transferStatus({ network, hash: deposit.hash });
      if (old.state !== 'mined') throw new Error('the deposit was not mined');
      const replaced = await Promise.all([1n, 2n, 3n].map((step) => chain.blockHash({ network, number: kept + step })));
      expect(replaced.every((hash) => hash !== null)).toBe(true);

      await fork.reorganise();
      expect(await chain.head({ network })).toBeGreaterThanOrEqual(kept + 3n);
      expect(await chain.blockHash({ network, number: kept })).toBe(keptHash);
      for (const [step, hash] of replaced.entries()) {
        expect(await chain.blockHash({ network, number: kept + BigInt(step) + 1n })).not.toBe(hash);
      }
      const now = await chain.transferStatus({ network, hash: deposit.hash });
      expect(now.state === 'mined' && now.blockHash === old.blockHash).toBe(false);
    });

    it('answers unknown for a hash it never saw and null for a block past the head', async () => {
      const head = await chain.head({ network });
      const hash = NETWORKS[network].addressFormat === 'evm' ? `0x${'ab'.repeat(32)}` : 'ab'.repeat(32);
      expect(await chain.transferStatus({ network, hash })).toEqual({ state: 'unknown' });
      expect(await chain.blockHash({ network, number: head + 1000n })).toBeNull();
      expect(await chain.blockHash({ network, number: 0n })).toMatch(/^(0x)?[0-9a-f]{64}$/);
    });

    it('refuses an address of another network, an asset that does not travel there and bytes it did not sign, for good', async () => {
      const nonce = await chain.minedNonce({ network });
      const foreign = NETWORKS[network].addressFormat === 'evm' ? 'TJRabPrwbZy45sbavfcjinPJC18kjpRTv8' : `0x${'12'.repeat(20)}`;
      for (const attempt of [
        chain.signTransfer({ network, asset, to: foreign, amountMinor: 1n, nonce }),
        chain.signTransfer({ network, asset: 'BTC' === asset ? 'USDT' : 'BTC', to: kit.newAddress(), amountMinor: 1n, nonce }),
        chain.balance({ network, asset, address: foreign }),
        chain.broadcast({ network, raw: '0x1234' }),
      ]) {
        expect(await failure(attempt)).toMatchObject({ provider: chain.name, kind: 'rejected', retryable: false });
      }
    });

    it('is unavailable when its chain does not answer', async () => {
      const down = kit.unreachable();
      for (const attempt of [
        down.head({ network }),
        down.transferStatus({ network, hash: NETWORKS[network].addressFormat === 'evm' ? `0x${'cd'.repeat(32)}` : 'cd'.repeat(32) }),
        down.minedNonce({ network }),
        down.balance({ network, asset }),
      ]) {
        expect(await failure(attempt)).toMatchObject({ provider: chain.name, kind: 'unavailable', retryable: true });
      }
    });
  });
}

/** A fresh address of `network` nobody holds the key of. */
export function randomAddress(network: Network): string {
  return deriveSandboxAddress(NETWORKS[network].addressFormat, randomBytes(32));
}
