import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../../lib/errors.ts';
import { adminSchema, PRINTABLE } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import {
  ALERT_KINDS,
  type AlertKind,
  hotWallets,
  listSettlementAlerts,
  listTransfers,
  resolveSettlementAlert,
  retryTransferNow,
  TRANSFER_STATUSES,
  type TransferIntentStatus,
} from './settlement-service.ts';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: PRINTABLE });
const Limit = Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' }));

/**
 * Buy settlement for the operator: the alerts to act on (docs/settlement.md says how), each network's
 * hot wallet with its balances and nonces, the transfers, and "try this transfer now" after a fix.
 */
export function registerSettlementAdminRoutes(app: FastifyInstance, platform: Platform): void {
  app.get<{ Querystring: { state?: 'open' | 'resolved' | 'all'; kind?: AlertKind; network?: string; limit?: string } }>(
    '/admin/settlement/alerts',
    {
      schema: adminSchema('List settlement alerts (open ones by default), most recently seen first', {
        querystring: Type.Object(
          {
            state: Type.Optional(Type.Enum(['open', 'resolved', 'all'])),
            kind: Type.Optional(Type.Enum(ALERT_KINDS)),
            network: Type.Optional(Id),
            limit: Limit,
          },
          { additionalProperties: false },
        ),
      }),
    },
    async (request) => ({
      alerts: await listSettlementAlerts(platform, {
        state: request.query.state,
        kind: request.query.kind,
        network: request.query.network,
        limit: request.query.limit === undefined ? undefined : Number(request.query.limit),
      }),
    }),
  );

  app.post<{ Params: { id: string } }>(
    '/admin/settlement/alerts/:id/resolve',
    {
      schema: adminSchema('Mark an alert handled (one whose condition lasts is raised again)', {
        params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$' }) }),
      }),
    },
    async (request) => {
      if (!(await resolveSettlementAlert(platform, request.params.id))) throw new ApiError('not_found', 'No such open alert.');
      return { resolved: true };
    },
  );

  app.get(
    '/admin/settlement/hot-wallets',
    { schema: adminSchema('Each network with a chain adapter: hot wallet, balances, nonces, transfers in progress') },
    async () => ({
      hot_wallets: await hotWallets(platform),
    }),
  );

  app.get<{ Querystring: { status?: TransferIntentStatus; transaction_id?: string; limit?: string } }>(
    '/admin/settlement/transfers',
    {
      schema: adminSchema('List crypto transfers of buys, newest first', {
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Enum(TRANSFER_STATUSES)),
            transaction_id: Type.Optional(Type.String({ format: 'uuid' })),
            limit: Limit,
          },
          { additionalProperties: false },
        ),
      }),
    },
    async (request) => ({
      transfers: await listTransfers(platform, {
        status: request.query.status,
        transactionId: request.query.transaction_id,
        limit: request.query.limit === undefined ? undefined : Number(request.query.limit),
      }),
    }),
  );

  app.post<{ Params: { id: string } }>(
    '/admin/settlement/transfers/:id/retry',
    {
      schema: adminSchema('Try a waiting transfer now (after funding the hot wallet or fixing the node)', {
        params: Type.Object({ id: Id }),
      }),
    },
    async (request) => {
      if (!(await retryTransferNow(platform, request.params.id))) throw new ApiError('not_found', 'No such transfer in progress.');
      return { retried: true };
    },
  );
}
