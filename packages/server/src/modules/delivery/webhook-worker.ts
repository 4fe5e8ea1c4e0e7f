import { LRUCache } from 'lru-cache';
import type { Platform } from '../../platform.ts';
import { claimDueDeliveries, type Delivery, recordAttempt } from './delivery-store.ts';
import { nextDelayMs, parseRetryAfter } from './retry-schedule.ts';
import { createWebhookSender, type WebhookAttemptResult, type WebhookSender } from './send-webhook.ts';
import { findSealedSigningSecrets, recordEndpointOutcome } from './webhook-endpoint-store.ts';

/** How many webhooks one node sends at once; a slow endpoint holds one slot, not the whole node. */
const MAX_IN_FLIGHT = 64;
const CLAIM_BATCH = 32;
/**
 * Decrypted signing secrets are kept this long, by their sealed form, so a backlog does not decrypt
 * once per message; which secrets sign is read per attempt, so a rotation applies at once on every node.
 */
const SECRET_CACHE_MS = 60_000;
/** Secrets kept decrypted at once; the least recently used goes first. */
const SECRET_CACHE_ENTRIES = 10_000;

/**
 * Sends due webhooks. The worker keeps up to MAX_IN_FLIGHT attempts going: it leases due deliveries
 * (FOR UPDATE SKIP LOCKED, so the workers of several nodes never take the same one) whenever slots
 * are free, and records every attempt. A transaction's deliveries go out in order: one waits while
 * an earlier one of the same transaction is still pending. Sending never happens inside a request:
 * status changes only queue, then wake the worker.
 */
export class WebhookWorker {
  private readonly platform: Platform;
  private readonly sender: WebhookSender;
  /** How long a claimed delivery belongs to this worker; after a crash, another retries it then. */
  private readonly leaseMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Never claimed again by this worker while its attempt runs, even if its lease ran out meanwhile. */
  private readonly inFlightIds = new Set<string>();
  private readonly secrets = new LRUCache<string, string>({ max: SECRET_CACHE_ENTRIES, ttl: SECRET_CACHE_MS });
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private filling: Promise<number> | null = null;
  private wakeRequested = false;
  private stopped = true;

  constructor(platform: Platform, sender?: WebhookSender) {
    this.platform = platform;
    this.sender =
      sender ??
      createWebhookSender({ timeoutMs: platform.config.webhookTimeoutMs, allowPrivateTargets: platform.config.webhookAllowPrivateTargets });
    this.leaseMs = 2 * platform.config.webhookTimeoutMs + 5_000;
  }

  start(): void {
    this.stopped = false;
    this.unsubscribe = this.platform.outboxNotifier.subscribe(() => this.wake());
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.filling;
    await Promise.all([...this.inFlight]);
    await this.sender.close();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.filling) this.wakeRequested = true;
    else this.schedule(0);
  }

  /**
   * Sends until nothing is due and nothing is in flight; exposed so tests can drive delivery
   * deterministically. Returns how many attempts it saw started.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      // An attempt that finishes while the claim runs may unblock its transaction's next message
      // after the claim looked: only a claim that started with nothing in flight proves we are done.
      const quietBefore = this.inFlight.size === 0 && this.filling === null;
      const started = await this.fill();
      total += started;
      if (quietBefore && started === 0 && this.inFlight.size === 0) return total;
      await Promise.all([...this.inFlight]);
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fill()
        .catch((error) => this.platform.logger.error({ err: error }, 'webhook worker round failed'))
        .finally(() => {
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(again ? 0 : this.platform.config.webhookPollIntervalMs);
        });
    }, delayMs);
    this.timer.unref?.();
  }

  /** Claims due deliveries into the free slots and starts them; one fill at a time per worker. */
  private fill(): Promise<number> {
    if (this.filling) return this.filling.then(() => this.fill());
    this.filling = (async () => {
      let started = 0;
      while (this.inFlight.size < MAX_IN_FLIGHT) {
        const claim = {
          now: this.platform.clock.now(),
          limit: Math.min(CLAIM_BATCH, MAX_IN_FLIGHT - this.inFlight.size),
          leaseMs: this.leaseMs,
          exclude: [...this.inFlightIds],
        };
        const claimed = await this.platform.db.transaction().execute((trx) => claimDueDeliveries(trx, claim));
        for (const delivery of claimed) this.track(delivery);
        started += claimed.length;
        if (claimed.length === 0) break;
      }
      return started;
    })().finally(() => (this.filling = null));
    return this.filling;
  }

  private track(delivery: Delivery): void {
    this.inFlightIds.add(delivery.id);
    const attempt: Promise<void> = this.attempt(delivery)
      .catch((error) => this.platform.logger.error({ err: error, delivery: delivery.id }, 'webhook attempt failed to record'))
      .finally(() => {
        this.inFlight.delete(attempt);
        this.inFlightIds.delete(delivery.id);
        // A finished attempt frees a slot and may unblock the transaction's next message.
        this.wake();
      });
    this.inFlight.add(attempt);
  }

  /** The secrets a message to the partner is signed with now; null when the partner has no endpoint. */
  private async signingSecrets(partnerId: string): Promise<string[] | null> {
    const sealed = await findSealedSigningSecrets(this.platform.db, partnerId, this.platform.clock.now());
    if (sealed === undefined) return null;
    return sealed.map((one) => {
      let secret = this.secrets.get(one);
      if (secret === undefined) {
        secret = this.platform.sealer.open(one);
        this.secrets.set(one, secret);
      }
      return secret;
    });
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const { platform } = this;
    const now = platform.clock.now();
    let result: WebhookAttemptResult;
    try {
      const secrets = await this.signingSecrets(delivery.partner_id);
      // The signature's timestamp is real time even when the sandbox clock was moved: receivers
      // check it against their own clocks.
      result = secrets
        ? await this.sender.send({ id: delivery.id, url: delivery.url, secrets, payload: delivery.payload, now: new Date() })
        : { statusCode: null, latencyMs: 0, error: 'partner no longer exists', retryAfter: null };
    } catch (error) {
      // Whatever went wrong on our side still counts as an attempt, so the schedule ends.
      result = { statusCode: null, latencyMs: 0, error: `internal: ${(error as Error).message}`.slice(0, 500), retryAfter: null };
    }
    const finishedAt = platform.clock.now();
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    // 410 Gone disables the endpoint (below): the message waits with the partner's others until it is enabled.
    const gone = result.statusCode === 410;
    const blocked = result.error?.startsWith('blocked:') === true;
    const delay =
      ok || gone || blocked ? null : nextDelayMs(delivery.attempts, { retryAfterMs: parseRetryAfter(result.retryAfter, finishedAt) });
    const error = result.error ?? (ok ? null : `HTTP ${result.statusCode}`);
    platform.metrics.countWebhookAttempt(result.statusCode, result.error);
    // A failure on our side (or an endpoint that no longer exists) says nothing about the endpoint's health.
    const ours = result.error?.startsWith('internal:') === true || result.error === 'partner no longer exists';
    const disabled = await platform.db.transaction().execute(async (trx) => {
      const disabledNow = ours
        ? null
        : await recordEndpointOutcome(trx, {
            partnerId: delivery.partner_id,
            ok,
            gone,
            at: now,
            disableAfterMs: platform.config.webhookDisableAfterMs,
          });
      await recordAttempt(trx, {
        delivery,
        startedAt: now,
        finishedAt,
        statusCode: result.statusCode,
        latencyMs: result.latencyMs,
        error,
        status: ok ? 'delivered' : gone ? 'pending' : delay === null ? 'failed' : 'pending',
        nextAttemptAt: gone ? finishedAt : delay === null ? delivery.next_attempt_at : new Date(finishedAt.getTime() + delay),
      });
      return disabledNow;
    });
    if (disabled) {
      platform.logger.warn(
        { partner_id: delivery.partner_id, reason: disabled, delivery: delivery.id, status_code: result.statusCode },
        'webhook endpoint disabled: its messages are kept until an operator enables it',
      );
    }
  }
}
