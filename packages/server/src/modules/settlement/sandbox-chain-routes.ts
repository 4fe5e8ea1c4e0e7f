import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ASSETS, type Asset, NETWORKS, type Network } from '../../lib/catalog.ts';
import { ApiError } from '../../lib/errors.ts';
import { AmountError, parseAmount } from '../../lib/money.ts';
import { adminSchema, PRINTABLE } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import {
  dropSandboxTransfer,
  MAX_SANDBOX_BLOCKS,
  mineSandboxBlocks,
  reorgSandboxChain,
  sendSandboxDeposit,
} from './sandbox-chain-tools.ts';

/**
 * The operator's calls on the sandbox chain (SANDBOX_TOOLS, on in development, refused in
 * production), under /admin/sandbox/chain: send a deposit, mine blocks, drop a transfer, reorganise.
 * Block numbers are decimal strings (they outgrow JSON numbers on real chains). What each call does
 * to the chain: sandbox-chain-tools.ts and docs/sandbox.md.
 */
export function registerSandboxChainRoutes(app: FastifyInstance, platform: Platform): void {
  const NetworkName = Type.Enum(Object.keys(NETWORKS) as Network[]);

  app.post<{ Body: { network: Network; asset: Asset; to: string; amount: string; from?: string } }>(
    '/admin/sandbox/chain/deposits',
    {
      schema: adminSchema('Sandbox chain: send a deposit of any amount of an asset to any address, mined in the next block', {
        body: Type.Object(
          {
            network: NetworkName,
            asset: Type.Enum(Object.keys(ASSETS) as Asset[]),
            to: Type.String({ minLength: 1, maxLength: 128, pattern: PRINTABLE }),
            amount: Type.String({ minLength: 1, maxLength: 100, description: 'a decimal string in whole units, e.g. "100.5"' }),
            from: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: PRINTABLE })),
          },
          { additionalProperties: false },
        ),
      }),
    },
    async (request) => {
      const { network, asset, to, amount, from } = request.body;
      let amountMinor: bigint;
      try {
        amountMinor = parseAmount(amount, ASSETS[asset].decimals);
      } catch (error) {
        if (!(error instanceof AmountError)) throw error;
        throw new ApiError('validation_error', `amount ${error.issue}.`, { details: [{ field: 'amount', issue: error.issue }] });
      }
      const sent = await sendSandboxDeposit(platform, { network, asset, to, amountMinor, ...(from === undefined ? {} : { from }) });
      return { network, asset, hash: sent.hash, block_number: sent.blockNumber.toString(), head: sent.head.toString() };
    },
  );

  app.post<{ Body: { network: Network; blocks: number } }>(
    '/admin/sandbox/chain/mine',
    {
      schema: adminSchema('Sandbox chain: mine blocks now', {
        body: Type.Object(
          { network: NetworkName, blocks: Type.Integer({ minimum: 1, maximum: MAX_SANDBOX_BLOCKS }) },
          { additionalProperties: false },
        ),
      }),
    },
    async (request) => {
      const { head } = await mineSandboxBlocks(platform, request.body);
      return { network: request.body.network, head: head.toString() };
    },
  );

  app.post<{ Body: { network: Network; depth: number; drop_transfers?: boolean } }>(
    '/admin/sandbox/chain/reorg',
    {
      schema: adminSchema('Sandbox chain: reorganise the last blocks (new hashes; their transfers mined again or dropped)', {
        body: Type.Object(
          {
            network: NetworkName,
            depth: Type.Integer({ minimum: 1, maximum: MAX_SANDBOX_BLOCKS }),
            drop_transfers: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      }),
    },
    async (request) => {
      const { network, depth, drop_transfers } = request.body;
      const reorg = await reorgSandboxChain(platform, { network, depth, dropTransfers: drop_transfers === true });
      return { network, from_block: reorg.fromBlock.toString(), head: reorg.head.toString(), moved: reorg.moved, dropped: reorg.dropped };
    },
  );

  app.post<{ Params: { network: Network; hash: string } }>(
    '/admin/sandbox/chain/:network/transfers/:hash/drop',
    {
      schema: adminSchema('Sandbox chain: drop a transfer as if it never reached a block (a send takes its wallet’s later nonces along)', {
        params: Type.Object({ network: NetworkName, hash: Type.String({ pattern: '^(0x)?[0-9a-f]{64}$' }) }),
      }),
    },
    async (request) => {
      const { dropped, head } = await dropSandboxTransfer(platform, request.params);
      return { network: request.params.network, dropped, head: head.toString() };
    },
  );
}
