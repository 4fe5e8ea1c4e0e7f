import { sql } from 'kysely';
import type { Platform } from '../../platform.ts';
import { nextDelayMs, parseRetryAfter } from './retry-schedule.ts';
import { createWebhookSender, type WebhookSender } from './send-webhook.ts';
import type { WebhookDeliveriesTable } from './tables.ts';
import type { Selectable } from 'kysely';

type Delivery = Selectable<WebhookDeliveriesTable>;

/** How long a worker owns a claimed delivery; after a crash, another worker retries it after this. */
const LEASE_MS = 60_000;
const BATCH = 20;

/**
 * Sends due webhooks. Each round leases a batch of due deliveries (FOR UPDATE SKIP LOCKED, so the
 * workers of several nodes never take the same one), sends them, and records every attempt. A
 * transaction's deliveries go out in order: one waits while an earlier one of the same
 * transaction is still pending. Sending never happens inside a request: status changes only queue.
 */
export class WebhookWorker {
  private readonly platform: Platform;
  private readonly sender: WebhookSender;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private wakeRequested = false;
  private stopped = true;

  constructor(platform: Platform, sender?: WebhookSender) {
    this.platform = platform;
    this.sender = sender ?? createWebhookSender({ timeoutMs: platform.config.webhookTimeoutMs, allowPrivateTargets: platform.config.webhookAllowPrivateTargets });
  }

  start(): void {
    this.stopped = false;
    this.platform.wakeWebhookWorker = () => this.wake();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.platform.wakeWebhookWorker = undefined;
    await this.running;
    await this.sender.close();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) this.wakeRequested = true;
    else this.schedule(0);
  }

  /**
   * Runs rounds until nothing is due and no background round is still sending; exposed so tests
   * can drive delivery deterministically. (A round the background loop started holds leases this
   * one cannot claim, so returning without waiting for it would report "nothing due" too early.)
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      total += await this.rounds();
      if (!this.running) return total;
      await this.running;
    }
  }

  private async rounds(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.round();
      total += sent;
      if (sent === 0) return total;
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.rounds()
        .then(() => undefined)
        .catch((error) => this.platform.logger.error({ err: error }, 'webhook worker round failed'))
        .finally(() => {
          this.running = null;
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(again ? 0 : this.platform.config.webhookPollIntervalMs);
        });
    }, delayMs);
    this.timer.unref?.();
  }

  private async round(): Promise<number> {
    const claimed = await claimDueDeliveries(this.platform, BATCH);
    await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    return claimed.length;
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const { platform } = this;
    const secretRow = await platform.db.selectFrom('partners').select('webhook_secret_enc').where('id', '=', delivery.partner_id).executeTakeFirst();
    const now = platform.clock.now();
    const result = secretRow
      ? await this.sender.send({ id: delivery.id, url: delivery.url, secret: platform.sealer.open(secretRow.webhook_secret_enc), payload: delivery.payload, now })
      : { statusCode: null, latencyMs: 0, error: 'partner no longer exists', retryAfter: null };
    const finishedAt = platform.clock.now();
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const gone = result.statusCode === 410 || result.error?.startsWith('blocked:') === true;
    const delay = ok || gone ? null : nextDelayMs(delivery.attempts, { retryAfterMs: parseRetryAfter(result.retryAfter, finishedAt) });
    const error = result.error ?? (ok ? null : `HTTP ${result.statusCode}`);
    await platform.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_attempts')
        .values({ delivery_id: delivery.id, attempt: delivery.attempts, started_at: now, status_code: result.statusCode, latency_ms: result.latencyMs, error })
        .execute();
      await trx
        .updateTable('webhook_deliveries')
        .set({
          status: ok ? 'delivered' : delay === null ? 'failed' : 'pending',
          next_attempt_at: delay === null ? delivery.next_attempt_at : new Date(finishedAt.getTime() + delay),
          lease_until: null,
          last_status_code: result.statusCode,
          last_error: error,
          updated_at: finishedAt,
          delivered_at: ok ? finishedAt : null,
        })
        .where('id', '=', delivery.id)
        .execute();
    });
  }
}

/** Leases due deliveries whose earlier siblings (same transaction) are all done. */
export async function claimDueDeliveries(platform: Platform, limit: number): Promise<Delivery[]> {
  const now = platform.clock.now();
  const leaseUntil = new Date(now.getTime() + LEASE_MS);
  return platform.db.transaction().execute(async (trx) => {
    const due = await sql<{ id: string }>`
      select d.id from webhook_deliveries d
      where d.status = 'pending' and d.next_attempt_at <= ${now} and (d.lease_until is null or d.lease_until < ${now})
        and not exists (
          select 1 from webhook_deliveries e
          where e.transaction_id = d.transaction_id and e.seq < d.seq and e.status = 'pending'
        )
      order by d.next_attempt_at, d.created_at
      limit ${limit}
      for update skip locked`.execute(trx);
    if (due.rows.length === 0) return [];
    return trx
      .updateTable('webhook_deliveries')
      .set((eb) => ({ lease_until: leaseUntil, attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('id', 'in', due.rows.map((row) => row.id))
      .returningAll()
      .execute();
  });
}
