import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../../lib/errors.ts';
import { errorResponses, PRINTABLE, partnerSchema } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { getTransactionForPartner } from './transaction-store.ts';
import { TransactionViewSchema, toTransactionView } from './transaction-view.ts';

export function registerTransactionRoutes(app: FastifyInstance, platform: Platform): void {
  app.get<{ Params: { merchant_transaction_id: string } }>(
    '/widget/transactions/:merchant_transaction_id',
    {
      schema: partnerSchema('Get a transaction', {
        params: Type.Object({ merchant_transaction_id: Type.String({ minLength: 1, maxLength: 100, pattern: PRINTABLE }) }),
        response: { 200: TransactionViewSchema, ...errorResponses(401, 403, 404, 429) },
      }),
    },
    async (request) => {
      const row = await getTransactionForPartner(platform.db, request.partner!.id, request.params.merchant_transaction_id);
      if (!row) throw new ApiError('not_found', 'No such transaction.');
      return toTransactionView(row);
    },
  );
}
