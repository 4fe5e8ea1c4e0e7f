import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { ApiError } from '../../src/lib/errors.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import { ChainRegistry } from '../../src/modules/settlement/chain-registry.ts';
import { SandboxChainAdapter } from '../../src/modules/settlement/sandbox-chain-adapter.ts';
import {
  dropSandboxTransfer,
  mineSandboxBlocks,
  reorgSandboxChain,
  type SandboxChainPlatform,
  sendSandboxDeposit,
} from '../../src/modules/settlement/sandbox-chain-tools.ts';
import { type ChainKit, describeChainAdapter, randomAddress } from './chains.ts';

/**
 * The sandbox chain on an in-memory PGlite of its own (the conformance project has no test server),
 * and on a PostgreSQL schema of its own when TEST_DATABASE_URL is set:
 * the shared scenarios on TRC20 (USDT), BITCOIN (BTC) and an EVM-spelled network (ERC20, USDT), then
 * what is its own: blocks that follow the clock, queued nonces, dropped transfers, reorganisations
 * that drop, restarts, the operator tools' refusals.
 */

const BLOCK_TIME_MS = 10_000;

sandboxChainSuite('PGlite', () => openDatabase({}));

// On PostgreSQL too when there is one (its own schema, dropped at the end).
const postgresUrl = process.env.TEST_DATABASE_URL;
if (postgresUrl) {
  sandboxChainSuite('PostgreSQL', async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const opened = await openDatabase({ url: postgresUrl, schema, poolSize: 4 });
    return {
      ...opened,
      async close() {
        await opened.close();
        await admin.query(`drop schema ${schema} cascade`);
        await admin.end();
      },
    };
  });
}

function sandboxChainSuite(label: string, open: () => Promise<Database>): void {
  let database: Database;
  const clock = new ManualClock(new Date('2026-11-21T12:00:00Z'));
  const seedKey = randomBytes(32);

  beforeAll(async () => {
    database = await open();
    await migrateToLatest(database.db);
  });
  afterAll(async () => {
    await database?.close();
  });

  function sandbox(options: { db?: () => Database['db'] } = {}): SandboxChainAdapter {
    return new SandboxChainAdapter({
      networks: ['TRC20', 'BITCOIN', 'ERC20'],
      seedKey,
      db: options.db ?? (() => database.db),
      clock,
      blockTimeMs: BLOCK_TIME_MS,
    });
  }

  function tools(adapter: SandboxChainAdapter): SandboxChainPlatform {
    return {
      db: database.db,
      clock,
      config: { chains: { sandboxBlockTimeMs: BLOCK_TIME_MS } },
      providers: { chains: ChainRegistry.of(adapter, 2) },
    };
  }

  function kitFor(network: 'TRC20' | 'BITCOIN' | 'ERC20', asset: 'USDT' | 'BTC'): () => Promise<ChainKit> {
    return async () => {
      const adapter = sandbox();
      const platform = tools(adapter);
      return {
        adapter,
        network,
        asset,
        newAddress: () => randomAddress(network),
        mine: async (blocks) => {
          await mineSandboxBlocks(platform, { network, blocks });
        },
        hold: async () => {},
        async deposit({ asset: sent, to, amountMinor }) {
          const { hash } = await sendSandboxDeposit(platform, { network, asset: sent, to, amountMinor });
          await mineSandboxBlocks(platform, { network, blocks: 1 });
          return { hash };
        },
        async fork() {
          const at = await adapter.head({ network });
          return {
            async reorganise() {
              await reorgSandboxChain(platform, { network, depth: Number((await adapter.head({ network })) - at) });
            },
          };
        },
        unreachable: () =>
          sandbox({
            db: () => {
              throw new Error('connection refused');
            },
          }),
      };
    };
  }

  describeChainAdapter(`sandbox chain on ${label}, TRC20`, kitFor('TRC20', 'USDT'));
  describeChainAdapter(`sandbox chain on ${label}, BITCOIN`, kitFor('BITCOIN', 'BTC'));
  describeChainAdapter(`sandbox chain on ${label}, ERC20`, kitFor('ERC20', 'USDT'), { caseInsensitiveAddresses: true });

  describe(`sandbox chain on ${label}: what is its own`, () => {
    const network = 'TRC20';
    let adapter: SandboxChainAdapter;
    let platform: SandboxChainPlatform;
    beforeAll(() => {
      adapter = sandbox();
      platform = tools(adapter);
    });

    const sign = async (amountMinor: bigint, nonce?: bigint) =>
      adapter.signTransfer({
        network,
        asset: 'USDT',
        to: randomAddress(network),
        amountMinor,
        nonce: nonce ?? (await adapter.minedNonce({ network })),
      });

    it('makes one block per SANDBOX_BLOCK_TIME of platform time, so a moved clock confirms transfers', async () => {
      const head = await adapter.head({ network });
      const signed = await sign(1n);
      await adapter.broadcast({ network, raw: signed.raw });
      clock.advance(BLOCK_TIME_MS - 1);
      expect(await adapter.transferStatus({ network, hash: signed.hash })).toEqual({ state: 'pending' });
      clock.advance(1);
      expect(await adapter.head({ network })).toBe(head + 1n);
      expect(await adapter.transferStatus({ network, hash: signed.hash })).toMatchObject({ state: 'mined', blockNumber: head + 1n });
      clock.advance(5 * BLOCK_TIME_MS);
      expect(await adapter.head({ network })).toBe(head + 6n);
    });

    it('starts the hot wallet with 1,000,000 of every asset of the network, and takes top-ups by deposit', async () => {
      const fresh = new SandboxChainAdapter({
        networks: ['SOL'],
        seedKey: randomBytes(32),
        db: () => database.db,
        clock,
        blockTimeMs: BLOCK_TIME_MS,
      });
      expect(await fresh.balance({ network: 'SOL', asset: 'SOL' })).toBe(1_000_000_000_000_000n);
      expect(await fresh.balance({ network: 'SOL', asset: 'USDC' })).toBe(1_000_000_000_000n);
      const solPlatform = tools(fresh);
      await sendSandboxDeposit(solPlatform, {
        network: 'SOL',
        asset: 'USDC',
        to: fresh.hotWalletAddress({ network: 'SOL' }),
        amountMinor: 5n,
      });
      await mineSandboxBlocks(solPlatform, { network: 'SOL', blocks: 1 });
      expect(await fresh.balance({ network: 'SOL', asset: 'USDC' })).toBe(1_000_000_000_005n);
    });

    it('holds a send whose nonce is ahead of the next one until the gap is filled', async () => {
      const next = await adapter.minedNonce({ network });
      const later = await sign(1n, next + 1n);
      const first = await sign(1n, next);
      await adapter.broadcast({ network, raw: later.raw });
      await mineSandboxBlocks(platform, { network, blocks: 3 });
      expect(await adapter.transferStatus({ network, hash: later.hash })).toEqual({ state: 'pending' });
      await adapter.broadcast({ network, raw: first.raw });
      await mineSandboxBlocks(platform, { network, blocks: 1 });
      expect(await adapter.transferStatus({ network, hash: first.hash })).toMatchObject({ state: 'mined' });
      expect(await adapter.transferStatus({ network, hash: later.hash })).toMatchObject({ state: 'mined' });
      expect(await adapter.minedNonce({ network })).toBe(next + 2n);
    });

    it('refuses, for now, a send whose nonce another one holds in the pool', async () => {
      const next = await adapter.minedNonce({ network });
      const one = await sign(1n, next);
      const rival = await sign(2n, next);
      await adapter.broadcast({ network, raw: one.raw });
      expect(await adapter.broadcast({ network, raw: rival.raw }).catch((caught: unknown) => caught)).toMatchObject({
        kind: 'rejected',
        retryable: true,
      });
      await mineSandboxBlocks(platform, { network, blocks: 1 });
    });

    it('drops a transfer (and the later nonces of its wallet); the same bytes sent again are mined anew', async () => {
      const next = await adapter.minedNonce({ network });
      const one = await sign(3n, next);
      const two = await sign(4n, next + 1n);
      await adapter.broadcast({ network, raw: one.raw });
      await adapter.broadcast({ network, raw: two.raw });
      await mineSandboxBlocks(platform, { network, blocks: 1 });
      expect(await adapter.minedNonce({ network })).toBe(next + 2n);

      expect((await dropSandboxTransfer(platform, { network, hash: one.hash })).dropped.sort()).toEqual([one.hash, two.hash].sort());
      expect(await adapter.transferStatus({ network, hash: one.hash })).toEqual({ state: 'unknown' });
      expect(await adapter.minedNonce({ network })).toBe(next);
      await expect(dropSandboxTransfer(platform, { network, hash: one.hash })).rejects.toMatchObject({ code: 'not_found' });

      await adapter.broadcast({ network, raw: one.raw });
      expect(await adapter.transferStatus({ network, hash: one.hash })).toEqual({ state: 'pending' });
      await mineSandboxBlocks(platform, { network, blocks: 1 });
      expect(await adapter.transferStatus({ network, hash: one.hash })).toMatchObject({ state: 'mined', success: true });
      expect(await adapter.transferStatus({ network, hash: two.hash })).toEqual({ state: 'unknown' });
    });

    it('can drop the transfers of the reorganised blocks: a deposit that vanishes', async () => {
      const to = randomAddress(network);
      const { hash, blockNumber } = await sendSandboxDeposit(platform, { network, asset: 'USDT', to, amountMinor: 10n });
      await mineSandboxBlocks(platform, { network, blocks: 3 });
      const query = { network, asset: 'USDT', addresses: [to], fromBlock: blockNumber, toBlock: blockNumber } as const;
      expect(await adapter.deposits(query)).toHaveLength(1);
      const reorg = await reorgSandboxChain(platform, { network, depth: 2, dropTransfers: true });
      expect(reorg.dropped).toEqual([]);
      const deeper = await reorgSandboxChain(platform, { network, depth: 3, dropTransfers: true });
      expect(deeper).toMatchObject({ dropped: [hash], moved: [] });
      expect(await adapter.deposits(query)).toEqual([]);
      expect(await adapter.transferStatus({ network, hash })).toEqual({ state: 'unknown' });
      expect(await adapter.balance({ network, asset: 'USDT', address: to })).toBe(0n);
    });

    it('keeps its chain across a restart: another adapter on the same database with the same key sees it all', async () => {
      const signed = await sign(6n);
      await adapter.broadcast({ network, raw: signed.raw });
      await mineSandboxBlocks(platform, { network, blocks: 1 });
      const again = sandbox();
      expect(await again.transferStatus({ network, hash: signed.hash })).toEqual(
        await adapter.transferStatus({ network, hash: signed.hash }),
      );
      expect(await again.minedNonce({ network })).toBe(await adapter.minedNonce({ network }));
      expect(again.hotWalletAddress({ network })).toBe(adapter.hotWalletAddress({ network }));
      const other = new SandboxChainAdapter({
        networks: [network],
        seedKey: randomBytes(32),
        db: () => database.db,
        clock,
        blockTimeMs: BLOCK_TIME_MS,
      });
      expect(other.hotWalletAddress({ network })).not.toBe(adapter.hotWalletAddress({ network }));
      expect(await other.broadcast({ network, raw: signed.raw }).catch((caught: unknown) => caught)).toBeInstanceOf(ProviderError);
    });

    it('tools refuse what the sandbox chain cannot do, naming the field', async () => {
      const refusals: [Promise<unknown>, string][] = [
        [sendSandboxDeposit(platform, { network: 'SOL', asset: 'SOL', to: randomAddress('SOL'), amountMinor: 1n }), 'network'],
        [sendSandboxDeposit(platform, { network, asset: 'BTC', to: randomAddress(network), amountMinor: 1n }), 'asset'],
        [sendSandboxDeposit(platform, { network, asset: 'USDT', to: randomAddress('BITCOIN'), amountMinor: 1n }), 'to'],
        [sendSandboxDeposit(platform, { network, asset: 'USDT', to: randomAddress(network), amountMinor: 0n }), 'amount'],
        [mineSandboxBlocks(platform, { network, blocks: 0 }), 'blocks'],
        [reorgSandboxChain(platform, { network, depth: 1_000_000 }), 'depth'],
      ];
      for (const [attempt, field] of refusals) {
        const error = await attempt.catch((caught: unknown) => caught);
        expect(error, field).toBeInstanceOf(ApiError);
        expect(error).toMatchObject({ code: 'validation_error', details: [{ field }] });
      }
    });
  });
}
