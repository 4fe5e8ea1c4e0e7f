import { LRUCache } from 'lru-cache';
import { WorkerLoop } from '../../lib/worker-loop.ts';
import type { Platform } from '../../platform.ts';
import { type AttemptOutcome, type ClaimedDelivery, claimDeliveries, recordAttempts, releaseClaims } from './delivery-queue.ts';
import { type EndpointAttempt, foldEndpointAttempts } from './endpoint-runs.ts';
import { nextDelayMs, parseRetryAfter } from './retry-schedule.ts';
import { createWebhookSender, type WebhookAttemptResult, type WebhookSender } from './send-webhook.ts';
import { recordEndpointRuns } from './webhook-endpoint-store.ts';

/** How many webhooks one node sends at once; a slow endpoint holds one slot, not the whole node. */
const MAX_IN_FLIGHT = 64;
/** Claimed messages one node holds at most: those being sent, those waiting for a slot, those being recorded. */
const MAX_HELD = 2 * MAX_IN_FLIGHT;
/** Attempts recorded in one database transaction at most. */
const MAX_RECORDED = 512;
/**
 * Decrypted signing secrets are kept this long, by their sealed form, so a backlog does not decrypt
 * once per message; which secrets sign is read with every claim, so a rotation applies at once on
 * every node.
 */
const SECRET_CACHE_MS = 60_000;
/** Secrets kept decrypted at once; the least recently used goes first. */
const SECRET_CACHE_ENTRIES = 10_000;

interface Finished {
  outcome: AttemptOutcome;
  endpoint: EndpointAttempt | null;
}

/**
 * Sends due webhooks, keeping up to MAX_IN_FLIGHT attempts going. Its bookkeeping runs in rounds, one
 * database transaction each, apart from the sending: a round records every attempt that finished
 * since the last one (and their endpoints' health), which makes each finished transaction's next
 * message its head, then claims due heads into the free room (FOR UPDATE SKIP LOCKED on leases, so
 * the workers of several nodes never take the same one). Sends start as soon as a slot is free, from
 * messages already claimed, so the HTTP side never waits for a round. A transaction's messages go
 * out in order: the next becomes claimable only when the previous one's attempt has committed.
 * Sending never happens inside a request: status changes only queue, then wake the worker.
 */
export class WebhookWorker {
  private readonly platform: Platform;
  private readonly sender: WebhookSender;
  /** How long a claimed message belongs to this worker; after a crash, another retries it then. */
  private readonly leaseMs: number;
  private readonly loop: WorkerLoop;
  /** Claimed, waiting for a slot. */
  private ready: ClaimedDelivery[] = [];
  /** Being sent, by id. */
  private readonly sending = new Set<string>();
  /** Sent, waiting to be recorded by the next round. */
  private finished: Finished[] = [];
  /** Taken by the round under way. */
  private recording = 0;
  private readonly claimedAt = new Map<string, number>();
  private readonly secrets = new LRUCache<string, string>({ max: SECRET_CACHE_ENTRIES, ttl: SECRET_CACHE_MS });
  private settledWaiters: Array<() => void> = [];
  private stopping = false;

  constructor(platform: Platform, sender?: WebhookSender) {
    this.platform = platform;
    this.sender =
      sender ??
      createWebhookSender({ timeoutMs: platform.config.webhookTimeoutMs, allowPrivateTargets: platform.config.webhookAllowPrivateTargets });
    this.leaseMs = 2 * platform.config.webhookTimeoutMs + 5_000;
    this.loop = new WorkerLoop({
      failure: 'webhook worker round failed',
      logger: platform.logger,
      round: () => this.round(),
      pollIntervalMs: () => platform.config.webhookPollIntervalMs,
      notifier: platform.outboxNotifier,
    });
  }

  start(): void {
    this.stopping = false;
    this.loop.start();
  }

  /** Lets the attempts under way finish and records them; claimed messages not yet sent are given back. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop.stop();
    const unsent = this.ready;
    this.ready = [];
    await this.settled();
    await this.record(Number.POSITIVE_INFINITY).catch((error) =>
      this.platform.logger.error({ err: error }, 'webhook worker could not record its last attempts'),
    );
    await releaseClaims(this.platform.db, unsent).catch((error) =>
      this.platform.logger.error({ err: error }, 'webhook worker could not give back its claims'),
    );
    for (const delivery of unsent) this.claimedAt.delete(delivery.id);
    await this.sender.close();
  }

  wake(): void {
    this.loop.wake();
  }

  /**
   * Sends until nothing is due and nothing is held; exposed so tests can drive delivery
   * deterministically. Returns how many attempts it saw recorded.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      total += await this.loop.drain();
      if (this.held() === 0) return total;
      await this.settled();
    }
  }

  private held(): number {
    return this.ready.length + this.sending.size + this.finished.length + this.recording;
  }

  /** Resolves once nothing is waiting for or using a slot (what is sent may still wait to be recorded). */
  private settled(): Promise<void> {
    if (this.sending.size === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** One round: records what finished and claims into the free room. Answers how much it handled. */
  private async round(): Promise<number> {
    const recorded = await this.record(MAX_RECORDED);
    if (this.stopping) return recorded;
    const room = MAX_HELD - this.held();
    if (room <= 0) return recorded;
    const now = this.platform.clock.now();
    const claimed = await claimDeliveries(this.platform.db, {
      now,
      limit: room,
      leaseMs: this.leaseMs,
      exclude: this.expiringClaims(now.getTime()),
    });
    for (const delivery of claimed) this.claimedAt.set(delivery.id, now.getTime());
    this.ready.push(...claimed);
    this.pump();
    return recorded + claimed.length;
  }

  /** Records up to `limit` finished attempts in one transaction; they are kept for the next round if it fails. */
  private async record(limit: number): Promise<number> {
    if (this.finished.length === 0) return 0;
    const batch = this.finished.splice(0, limit);
    this.recording = batch.length;
    try {
      const { config } = this.platform;
      const runs = foldEndpointAttempts(batch.flatMap((one) => (one.endpoint ? [one.endpoint] : [])));
      const disabled = await this.platform.db.transaction().execute(async (trx) => {
        const disabledNow = await recordEndpointRuns(trx, runs, config.webhookDisableAfterMs);
        await recordAttempts(
          trx,
          batch.map((one) => one.outcome),
        );
        return disabledNow;
      });
      for (const { outcome } of batch) this.claimedAt.delete(outcome.delivery.id);
      for (const { run, reason } of disabled) {
        this.platform.logger.warn(
          { partner_id: run.partnerId, reason, delivery: run.lastFailure?.deliveryId, status_code: run.lastFailure?.statusCode },
          'webhook endpoint disabled: its messages are kept until an operator enables it',
        );
      }
      return batch.length;
    } catch (error) {
      this.finished.unshift(...batch);
      throw error;
    } finally {
      this.recording = 0;
    }
  }

  /** Ids held long enough that their lease may have run out: the claim must not hand them back. */
  private expiringClaims(nowMs: number): string[] {
    const ids: string[] = [];
    for (const [id, at] of this.claimedAt) if (nowMs - at > this.leaseMs / 2) ids.push(id);
    return ids;
  }

  /** Starts attempts from the claimed messages while slots are free. */
  private pump(): void {
    while (this.sending.size < MAX_IN_FLIGHT && this.ready.length > 0) {
      const delivery = this.ready.shift()!;
      this.sending.add(delivery.id);
      this.attempt(delivery)
        .then((finished) => this.finished.push(finished))
        .catch((error) => this.platform.logger.error({ err: error, delivery: delivery.id }, 'webhook attempt failed'))
        .finally(() => {
          this.sending.delete(delivery.id);
          this.pump();
          if (this.sending.size === 0 && this.ready.length === 0) {
            for (const resolve of this.settledWaiters.splice(0)) resolve();
          }
          this.loop.wake();
        });
    }
  }

  /** The secrets a message is signed with, as read with its claim; null when the partner has no endpoint. */
  private signingSecrets(delivery: ClaimedDelivery, now: Date): string[] | null {
    if (delivery.secret_enc === null) return null;
    const previousLive =
      delivery.previous_secret_enc !== null && delivery.previous_secret_expires_at !== null && delivery.previous_secret_expires_at > now;
    const sealed = previousLive ? [delivery.secret_enc, delivery.previous_secret_enc!] : [delivery.secret_enc];
    return sealed.map((one) => {
      let secret = this.secrets.get(one);
      if (secret === undefined) {
        secret = this.platform.sealer.open(one);
        this.secrets.set(one, secret);
      }
      return secret;
    });
  }

  private async attempt(delivery: ClaimedDelivery): Promise<Finished> {
    const { platform } = this;
    const now = platform.clock.now();
    let result: WebhookAttemptResult;
    try {
      const secrets = this.signingSecrets(delivery, now);
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
    // 410 Gone disables the endpoint: the message waits with the partner's others until it is enabled.
    const gone = result.statusCode === 410;
    const blocked = result.error?.startsWith('blocked:') === true;
    const delay =
      ok || gone || blocked ? null : nextDelayMs(delivery.attempts, { retryAfterMs: parseRetryAfter(result.retryAfter, finishedAt) });
    platform.metrics.countWebhookAttempt(result.statusCode, result.error);
    // A failure on our side (or an endpoint that no longer exists) says nothing about the endpoint's health.
    const ours = result.error?.startsWith('internal:') === true || result.error === 'partner no longer exists';
    return {
      outcome: {
        delivery,
        startedAt: now,
        finishedAt,
        statusCode: result.statusCode,
        latencyMs: result.latencyMs,
        error: result.error ?? (ok ? null : `HTTP ${result.statusCode}`),
        status: ok ? 'delivered' : gone ? 'pending' : delay === null ? 'failed' : 'pending',
        nextAttemptAt: gone ? finishedAt : delay === null ? delivery.next_attempt_at : new Date(finishedAt.getTime() + delay),
        claimable: !gone,
      },
      endpoint: ours ? null : { partnerId: delivery.partner_id, ok, gone, at: now, deliveryId: delivery.id, statusCode: result.statusCode },
    };
  }
}
