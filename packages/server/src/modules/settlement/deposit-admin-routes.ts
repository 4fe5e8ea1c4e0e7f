import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ASSETS, FIATS, isAsset, isFiat, type Network } from '../../lib/catalog.ts';
import { ApiError } from '../../lib/errors.ts';
import { formatAmount } from '../../lib/money.ts';
import { adminSchema, Text } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import {
  findHeldDeposit,
  type HeldDepositRow,
  listCursors,
  listHeldDeposits,
  listPayouts,
  type PayoutRow,
  updateDeposit,
} from './off-ramp-store.ts';
import { DEPOSIT_DISPOSITIONS, type DepositDisposition, PAYOUT_STATUSES, type PayoutStatus } from './off-ramp-vocabulary.ts';

const DepositId = Type.String({ pattern: '^dep_[0-9A-Za-z]{20}$' });
const ListQuery = Type.Object(
  {
    include_resolved: Type.Optional(Type.Enum(['true', 'false'])),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  },
  { additionalProperties: false },
);

/**
 * The operator's view of the off-ramp (docs/settlement.md): the sells' payouts, and the crypto the
 * platform received but did not pay out: late deposits (after a sell's window or end), surpluses of
 * overpaid sells, refused underpayments and the deposits of sells whose payout failed. Each stays
 * listed until the operator marks it resolved (sent back to its sender, or settled otherwise) with a note.
 */
export function registerDepositAdminRoutes(app: FastifyInstance, platform: Platform): void {
  const list = async (query: { include_resolved?: string; limit?: string }, dispositions?: readonly DepositDisposition[]) => {
    const rows = await listHeldDeposits(platform.db, {
      ...(dispositions ? { dispositions } : {}),
      includeResolved: query.include_resolved === 'true',
      limit: Math.min(Number(query.limit ?? 100), 1000),
    });
    return { deposits: rows.map(toHeldDepositView) };
  };

  app.get<{ Querystring: { include_resolved?: string; limit?: string } }>(
    '/admin/settlement/late-deposits',
    {
      schema: adminSchema('Deposits that arrived after their sell stopped taking them (held, nothing paid out), newest first', {
        querystring: ListQuery,
      }),
    },
    async (request) => list(request.query, ['late']),
  );

  app.get<{ Querystring: { include_resolved?: string; limit?: string; disposition?: DepositDisposition } }>(
    '/admin/settlement/held-deposits',
    {
      schema: adminSchema('All crypto received and not paid out: surpluses, refused underpayments, late deposits, failed payouts', {
        querystring: Type.Object(
          { ...ListQuery.properties, disposition: Type.Optional(Type.Enum(DEPOSIT_DISPOSITIONS)) },
          { additionalProperties: false },
        ),
      }),
    },
    async (request) => list(request.query, request.query.disposition ? [request.query.disposition] : undefined),
  );

  app.get(
    '/admin/settlement/deposit-watchers',
    {
      schema: adminSchema('How far each deposit watcher lags its chain: the last block scanned, the head, and when it last moved'),
    },
    async () => {
      const now = platform.clock.now();
      const cursors = await listCursors(platform.db);
      const watchers = await Promise.all(
        cursors.map(async (cursor) => {
          const network = cursor.network as Network;
          const lastBlock = BigInt(cursor.last_block);
          let head: bigint | null = null;
          let error: string | undefined;
          try {
            head = await platform.providers.chains.chainFor(network).head({ network });
          } catch (caught) {
            // An unreachable node is exactly what the operator needs to see here, not a 502.
            error = (caught as Error).message;
          }
          return {
            network,
            asset: cursor.asset,
            last_scanned_block: lastBlock.toString(),
            head: head === null ? null : head.toString(),
            lag_blocks: head === null ? null : (head > lastBlock ? head - lastBlock : 0n).toString(),
            confirmations_required: platform.providers.chains.confirmationsFor(network),
            last_moved_at: new Date(cursor.updated_at).toISOString(),
            seconds_since_moved: Math.max(0, Math.round((now.getTime() - new Date(cursor.updated_at).getTime()) / 1000)),
            ...(error ? { error } : {}),
          };
        }),
      );
      return { watchers };
    },
  );

  app.get<{ Querystring: { status?: PayoutStatus; limit?: string } }>(
    '/admin/settlement/payouts',
    {
      schema: adminSchema(
        'Sell payouts, newest first: waiting for a card, queued (with the last error while the provider fails), pending, paid, declined',
        {
          querystring: Type.Object(
            { status: Type.Optional(Type.Enum(PAYOUT_STATUSES)), limit: ListQuery.properties.limit },
            { additionalProperties: false },
          ),
        },
      ),
    },
    async (request) => {
      const rows = await listPayouts(platform.db, {
        ...(request.query.status ? { status: request.query.status } : {}),
        limit: Math.min(Number(request.query.limit ?? 100), 1000),
      });
      return { payouts: rows.map(toPayoutView) };
    },
  );

  app.post<{ Params: { id: string }; Body: { note: string } }>(
    '/admin/settlement/deposits/:id/resolve',
    {
      schema: adminSchema('Mark held crypto as dealt with (sent back, or settled otherwise), with a note', {
        params: Type.Object({ id: DepositId }),
        body: Type.Object({ note: Text(500) }, { additionalProperties: false }),
      }),
    },
    async (request) => {
      const deposit = await findHeldDeposit(platform.db, request.params.id);
      if (!deposit || deposit.unpaid_minor === '0') throw new ApiError('not_found', 'No held deposit with this id.');
      if (deposit.resolved_at === null) {
        await updateDeposit(platform.db, deposit.id, { resolved_at: platform.clock.now(), resolution_note: request.body.note });
      }
      return toHeldDepositView((await findHeldDeposit(platform.db, deposit.id))!);
    },
  );
}

function toHeldDepositView(row: HeldDepositRow) {
  const decimals = isAsset(row.asset) ? ASSETS[row.asset].decimals : 0;
  return {
    id: row.id,
    partner_id: row.partner_id,
    merchant_transaction_id: row.merchant_transaction_id,
    network: row.network,
    currency: row.asset,
    address: row.address,
    tx_hash: row.tx_hash,
    log_index: row.log_index,
    from_address: row.from_address,
    amount: formatAmount(BigInt(row.amount_minor), decimals),
    unpaid_amount: formatAmount(BigInt(row.unpaid_minor), decimals),
    disposition: row.disposition,
    status: row.status,
    confirmations: row.confirmations,
    seen_at: new Date(row.seen_at).toISOString(),
    resolved_at: row.resolved_at ? new Date(row.resolved_at).toISOString() : null,
    resolution_note: row.resolution_note,
  };
}

function toPayoutView(row: PayoutRow & { merchant_transaction_id: string }) {
  const decimals = isFiat(row.fiat_currency) ? FIATS[row.fiat_currency].decimals : 2;
  return {
    id: row.id,
    partner_id: row.partner_id,
    merchant_transaction_id: row.merchant_transaction_id,
    provider: row.provider,
    provider_payout_id: row.provider_payout_id,
    amount: formatAmount(BigInt(row.amount_minor), decimals, decimals),
    fiat_currency: row.fiat_currency,
    status: row.status,
    decline_reason: row.decline_reason,
    tries: row.tries,
    last_error: row.last_error,
    next_try_at: row.status === 'queued' ? new Date(row.next_try_at).toISOString() : null,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
