import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../../lib/errors.ts';
import { adminSchema, PRINTABLE } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { changeStatus } from './change-status.ts';
import { expireTransactions } from './expire-transactions.ts';
import { TRANSACTION_STATUSES, type TransactionStatus } from './transaction-status.ts';
import { findOwnersOfMerchantTransactionId } from './transaction-store.ts';

/**
 * Sandbox-only operator calls (SANDBOX_TOOLS, on in development, refused in production): move a
 * transaction through its legal states, move the clock forward, run the expiry job now.
 */
export function registerSandboxRoutes(app: FastifyInstance, platform: Platform): void {
  app.post<{ Params: { id: string }; Body: { status: TransactionStatus; reason?: string; partner_id?: string } }>(
    '/admin/sandbox/transactions/:id/status',
    {
      schema: adminSchema('Sandbox: move a transaction to a status (illegal moves answer 409)', {
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, pattern: PRINTABLE }) }),
        body: Type.Object(
          {
            status: Type.Enum(TRANSACTION_STATUSES),
            reason: Type.Optional(Type.String({ maxLength: 64, pattern: PRINTABLE })),
            partner_id: Type.Optional(Type.String({ maxLength: 64, pattern: PRINTABLE })),
          },
          { additionalProperties: false },
        ),
      }),
    },
    async (request) => {
      const owners = await findOwnersOfMerchantTransactionId(platform.db, request.params.id, request.body.partner_id);
      if (owners.length === 0) throw new ApiError('not_found', 'No such transaction.');
      if (owners.length > 1)
        throw new ApiError('validation_error', 'Several partners use this id; add partner_id.', {
          details: [{ field: 'partner_id', issue: 'is required for this id' }],
        });
      const event = await changeStatus(platform, {
        partnerId: owners[0]!.partner_id,
        merchantTransactionId: request.params.id,
        to: request.body.status,
        reason: request.body.reason ?? null,
      });
      return event.message;
    },
  );

  app.post<{ Body: { advance_seconds: number } }>(
    '/admin/sandbox/clock',
    {
      schema: adminSchema('Sandbox: move the platform clock forward', {
        body: Type.Object({ advance_seconds: Type.Integer({ minimum: 1, maximum: 30 * 86400 }) }, { additionalProperties: false }),
      }),
    },
    async (request) => {
      const clock = platform.clock as { advance?: (ms: number) => void };
      if (typeof clock.advance !== 'function') throw new ApiError('validation_error', 'This clock cannot be moved.');
      clock.advance(request.body.advance_seconds * 1000);
      // Retries that the jump made due go out now rather than at the next poll.
      platform.outboxNotifier.notify();
      return { now: platform.clock.now().toISOString() };
    },
  );

  app.post('/admin/sandbox/jobs/expire', { schema: adminSchema('Sandbox: run the expiry job now') }, async () => ({
    expired: await expireTransactions(platform),
  }));
}
