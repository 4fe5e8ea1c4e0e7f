import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { randomBase62 } from '../../lib/ids.ts';

/** Queues a webhook for the partner's endpoint, inside the caller's database transaction. */
export async function enqueueWebhook(
  trx: Kysely<Tables>,
  delivery: { partnerId: string; transactionId: string | null; seq: number; eventType: string; payload: Record<string, unknown>; now: Date },
): Promise<string | null> {
  const partner = await trx.selectFrom('partners').select('webhook_url').where('id', '=', delivery.partnerId).executeTakeFirst();
  if (!partner?.webhook_url) return null;
  const id = `msg_${randomBase62(24)}`;
  await trx
    .insertInto('webhook_deliveries')
    .values({
      id,
      partner_id: delivery.partnerId,
      transaction_id: delivery.transactionId,
      seq: delivery.seq,
      event_type: delivery.eventType,
      url: partner.webhook_url,
      payload: JSON.stringify(delivery.payload),
      status: 'pending',
      attempts: 0,
      next_attempt_at: delivery.now,
      lease_until: null,
      last_status_code: null,
      last_error: null,
      created_at: delivery.now,
      updated_at: delivery.now,
      delivered_at: null,
    })
    .execute();
  return id;
}
