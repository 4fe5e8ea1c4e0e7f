import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { PRINTABLE, errorResponses } from '../../lib/route-schemas.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { getTransactionForPartner } from './transaction-store.ts';
import { toTransactionView } from './transaction-view.ts';

const Transaction = Type.Object({
  merchant_transaction_id: Type.String(),
  partner_user_id: Type.String(),
  type: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
  status: Type.Union(['pending', 'processing', 'completed', 'failed', 'cancelled'].map((s) => Type.Literal(s))),
  currency: Type.String(),
  network: Type.String(),
  crypto_amount: Type.String({ description: 'Empty until the status reaches processing.' }),
  fiat_currency: Type.String(),
  fiat_amount: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  payment_method: Type.Optional(Type.String()),
  failure_reason: Type.Optional(Type.String()),
});

export function registerTransactionRoutes(app: FastifyInstance, platform: Platform): void {
  app.get<{ Params: { merchant_transaction_id: string } }>(
    '/widget/transactions/:merchant_transaction_id',
    {
      schema: {
        summary: 'Get a transaction',
        tags: ['widget'],
        security: [{ clientToken: [] }],
        params: Type.Object({ merchant_transaction_id: Type.String({ minLength: 1, maxLength: 100, pattern: PRINTABLE }) }),
        response: { 200: Transaction, ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (request) => {
      const row = await getTransactionForPartner(platform.db, request.partner!.id, request.params.merchant_transaction_id);
      if (!row) throw new ApiError('not_found', 'No such transaction.');
      return toTransactionView(row);
    },
  );
}
