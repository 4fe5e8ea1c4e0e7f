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
/** Claimed messages one node holds unsent at most: those being sent and those waiting for a slot. */
const MAX_UNSENT = 8 * MAX_IN_FLIGHT;
/**
 * Sent messages waiting to be recorded, at most: past this the worker claims nothing more until the
 * database catches up (while it is unreachable, say), rather than keeping ever more in memory.
 */
const MAX_UNRECORDED = 2048;
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
 * Sends due webhooks, keeping up to MAX_IN_FLIGHT attempts going. Three things run side by side, so
 * none waits for another: claiming (one statement: due heads into the free room, FOR UPDATE SKIP
 * LOCKED on leases, so the workers of several nodes never take the same one), sending (as soon as a
 * slot is free, from messages already claimed), and recording (one database transaction for every
 * attempt that finished since the last one, with their endpoints' health; it makes each finished
 * transaction's next message its head). A transaction's messages go out in order: the next becomes
 * claimable only when the previous one's attempt has committed. Sending never happens inside a
 * request: status changes only queue, then wake the worker.
 */
export class WebhookWorker {
  private readonly platform: Platform;
  private readonly sender: WebhookSender;
  /** How long a claimed message belongs to this worker; after a crash, another retries it then. */
  private readonly leaseMs: number;
  private readonly claims: WorkerLoop;
  private readonly records: WorkerLoop;
  /** Claimed, waiting for a slot; the next one to send is the last (taking it is then O(1), not a shift). */
  private ready: ClaimedDelivery[] = [];
  /**
   * Claimed and never sent: they waited for a slot past half their lease, which another node may take
   * over once it runs out; the next recording gives them back, to be claimed again with a new lease.
   */
  private expired: ClaimedDelivery[] = [];
  /** Being sent, by id. */
  private readonly sending = new Set<string>();
  /** Sent, waiting to be recorded. */
  private finished: Finished[] = [];
  /** Taken by the recording under way (attempts recorded and claims given back). */
  private recording = 0;
  private readonly claimedAt = new Map<string, number>();
  private readonly secrets = new LRUCache<string, string>({ max: SECRET_CACHE_ENTRIES, ttl: SECRET_CACHE_MS });
  private settledWaiters: Array<() => void> = [];
  /** The last claim filled all its room: more is probably due, so a freed slot is worth a claim. */
  private claimFilled = true;

  constructor(platform: Platform, sender?: WebhookSender) {
    this.platform = platform;
    this.sender =
      sender ??
      createWebhookSender({ timeoutMs: platform.config.webhookTimeoutMs, allowPrivateTargets: platform.config.webhookAllowPrivateTargets });
    this.leaseMs = 2 * platform.config.webhookTimeoutMs + 5_000;
    const pollIntervalMs = () => platform.config.webhookPollIntervalMs;
    this.claims = new WorkerLoop({
      failure: 'webhook worker claim failed',
      logger: platform.logger,
      round: () => this.claim(),
      pollIntervalMs,
      notifier: platform.outboxNotifier,
    });
    this.records = new WorkerLoop({
      failure: 'webhook worker could not record attempts (kept, tried again)',
      logger: platform.logger,
      round: () => this.record(MAX_RECORDED),
      pollIntervalMs,
    });
  }

  start(): void {
    this.claims.start();
    this.records.start();
  }

  /** Lets the attempts under way finish and records them; claimed messages not yet sent are given back. */
  async stop(): Promise<void> {
    await this.claims.stop();
    await this.records.stop();
    const unsent = [...this.ready, ...this.expired];
    this.ready = [];
    this.expired = [];
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
    this.claims.wake();
  }

  /**
   * Sends until nothing is due and nothing is held; exposed so tests can drive delivery
   * deterministically. Returns how many messages it claimed.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      total += await this.claims.drain();
      if (this.held() === 0) return total;
      await this.settled();
      await this.records.drain();
    }
  }

  private held(): number {
    return this.ready.length + this.expired.length + this.sending.size + this.finished.length + this.recording;
  }

  /** Resolves once nothing is waiting for or using a slot (what is sent may still wait to be recorded). */
  private settled(): Promise<void> {
    if (this.sending.size === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** Claimed messages this node may still take: attempts waiting to be recorded take none (the recording runs beside the sending). */
  private room(): number {
    return MAX_UNSENT - this.ready.length - this.sending.size;
  }

  /** Claims due heads into the free room and starts sending them. Answers how many. */
  private async claim(): Promise<number> {
    const room = this.room();
    // A claim is a statement: worth making for a batch, or when the slots are about to run dry.
    if (room < MAX_IN_FLIGHT && this.ready.length > 0) return 0;
    if (room <= 0 || this.finished.length + this.recording > MAX_UNRECORDED) return 0;
    const now = this.platform.clock.now();
    const claimed = await claimDeliveries(this.platform.db, {
      now,
      limit: room,
      leaseMs: this.leaseMs,
      exclude: this.expiringClaims(now.getTime()),
    });
    this.claimFilled = claimed.length === room;
    for (const delivery of claimed) this.claimedAt.set(delivery.id, now.getTime());
    // Behind the ones already waiting, so at the front: messages leave in the order they were claimed.
    this.ready = [...claimed.reverse(), ...this.ready];
    this.pump();
    return claimed.length;
  }

  /**
   * Records up to `limit` finished attempts in one transaction, and gives back the expired claims;
   * they are kept for the next try if it fails.
   */
  private async record(limit: number): Promise<number> {
    if (this.finished.length === 0 && this.expired.length === 0) return 0;
    const batch = this.finished.splice(0, limit);
    const giveBack = this.expired.splice(0);
    this.recording = batch.length + giveBack.length;
    try {
      const { config } = this.platform;
      const runs = foldEndpointAttempts(batch.flatMap((one) => (one.endpoint ? [one.endpoint] : [])));
      const disabled = await this.platform.db.transaction().execute(async (trx) => {
        const disabledNow = await recordEndpointRuns(trx, runs, config.webhookDisableAfterMs);
        await recordAttempts(
          trx,
          batch.map((one) => one.outcome),
        );
        await releaseClaims(trx, giveBack);
        return disabledNow;
      });
      for (const { outcome } of batch) this.claimedAt.delete(outcome.delivery.id);
      for (const delivery of giveBack) this.claimedAt.delete(delivery.id);
      for (const { run, reason } of disabled) {
        this.platform.logger.warn(
          { partner_id: run.partnerId, reason, delivery: run.lastFailure?.deliveryId, status_code: run.lastFailure?.statusCode },
          'webhook endpoint disabled: its messages are kept until an operator enables it',
        );
      }
      // Room was freed, and the transactions' next messages may now be claimable.
      this.claims.wake();
      return batch.length + giveBack.length;
    } catch (error) {
      this.finished.unshift(...batch);
      this.expired.unshift(...giveBack);
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

  /**
   * Starts attempts from the claimed messages while slots are free. A message that waited past half
   * its lease is not sent on that claim (another node may take it over once the lease runs out: two
   * sends at once) but given back by the next recording.
   */
  private pump(): void {
    const nowMs = this.platform.clock.now().getTime();
    while (this.sending.size < MAX_IN_FLIGHT && this.ready.length > 0) {
      const delivery = this.ready.pop()!;
      if (nowMs - (this.claimedAt.get(delivery.id) ?? nowMs) > this.leaseMs / 2) {
        this.expired.push(delivery);
        this.records.wake();
        continue;
      }
      this.sending.add(delivery.id);
      this.attempt(delivery)
        .then((finished) => this.finished.push(finished))
        .catch((error) => this.platform.logger.error({ err: error, delivery: delivery.id }, 'webhook attempt failed'))
        .finally(() => {
          this.sending.delete(delivery.id);
          this.pump();
          this.records.wake();
          // Claim more as soon as a claim has a batch's room (what claim() itself waits for), so the
          // next batch arrives while a slot's worth is still waiting: a claim takes milliseconds,
          // and waiting until fewer than a slot's worth were left ran the slots dry whenever one
          // was slow. But when the last claim found less than it had room for, what becomes due
          // next comes from a recording (which wakes the claim itself), a new message (the notifier)
          // or the poll: a claim per finished send would mostly find nothing.
          if (this.claimFilled && this.room() >= MAX_IN_FLIGHT) this.claims.wake();
        });
    }
    if (this.sending.size === 0 && this.ready.length === 0) {
      for (const resolve of this.settledWaiters.splice(0)) resolve();
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
        ? await this.sender.send({ id: delivery.id, url: delivery.url, secrets, body: delivery.body, now: new Date() })
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
