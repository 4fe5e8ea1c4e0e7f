import type { Db } from '../../db/database.ts';

/**
 * How many webhook messages wait in the outbox (every node's), how long the oldest has waited and
 * how many partner endpoints are disabled, for the metrics scrape. One statement: the outbox part
 * reads the pending rows only (webhook_deliveries_pending_chain_idx holds only those, so the delivered
 * history, most of the table, is never read: the cost grows with the backlog, not with retention);
 * the endpoints table has one row per partner.
 */
export async function measureWebhookQueue(
  db: Db,
  now: Date,
): Promise<{ depth: number; oldestAgeSeconds: number; disabledEndpoints: number }> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => [
      eb.fn.countAll<string | number>().as('depth'),
      eb.fn.min('created_at').as('oldest'),
      eb
        .selectFrom('webhook_endpoints')
        .select(eb.fn.countAll<string | number>().as('disabled'))
        .where('enabled', '=', false)
        .as('disabled_endpoints'),
    ])
    .where('status', '=', 'pending')
    .executeTakeFirst();
  const oldest = row?.oldest ? new Date(row.oldest).getTime() : null;
  return {
    depth: Number(row?.depth ?? 0),
    oldestAgeSeconds: oldest === null ? 0 : Math.max(0, (now.getTime() - oldest) / 1000),
    disabledEndpoints: Number(row?.disabled_endpoints ?? 0),
  };
}
