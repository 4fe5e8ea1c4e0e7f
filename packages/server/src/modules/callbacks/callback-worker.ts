import { WorkerLoop } from '../../lib/worker-loop.ts';
import type { Platform } from '../../platform.ts';
import type { InboundEvent, InboundEventHandler } from './inbound-event.ts';
import { claimDueEvents, markApplied, markFailed, type StoredEvent } from './inbox-store.ts';

const CLAIM_BATCH = 16;
const LEASE_MS = 60_000;
const POLL_INTERVAL_MS = 1_000;
/** Waits before each retry of an event whose handler failed; after the last, the event is `dead`. */
const RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000, 3_600_000, 3_600_000, 3_600_000];

/**
 * Applies stored provider events through the handler of their kind, oldest first. Events are leased
 * (several nodes never apply the same one at once) and applied one at a time per node; a handler
 * that throws is retried on a schedule, and an event of a kind nobody handles waits the same way
 * (a node of an older version may have stored it). Handlers are idempotent, so an event applied
 * again after a crash changes nothing.
 */
export class CallbackWorker {
  private readonly platform: Platform;
  private readonly handlers: ReadonlyMap<string, InboundEventHandler>;
  private readonly loop: WorkerLoop;

  constructor(platform: Platform, handlers: Record<string, InboundEventHandler>) {
    this.platform = platform;
    this.handlers = new Map(Object.entries(handlers));
    this.loop = new WorkerLoop({
      failure: 'callback worker round failed',
      logger: platform.logger,
      round: () => this.round(),
      pollIntervalMs: () => POLL_INTERVAL_MS,
      notifier: platform.inboxNotifier,
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Applies until nothing is due; exposed so tests drive it deterministically. Returns how many it handled. */
  drain(): Promise<number> {
    return this.loop.drain();
  }

  /** One claim and the application of what it got. */
  private async round(): Promise<number> {
    const claim = { now: this.platform.clock.now(), limit: CLAIM_BATCH, leaseMs: LEASE_MS };
    const events = await this.platform.db.transaction().execute((trx) => claimDueEvents(trx, claim));
    for (const stored of events) await this.apply(stored);
    return events.length;
  }

  private async apply(stored: StoredEvent): Promise<void> {
    const { platform } = this;
    const handler = this.handlers.get(stored.kind);
    try {
      if (!handler) throw new Error(`no handler for ${stored.kind} events`);
      await handler(stored.event as InboundEvent);
      await markApplied(platform.db, stored.id, platform.clock.now());
    } catch (error) {
      const delay = RETRY_DELAYS_MS[stored.attempts - 1];
      const retryAt = delay === undefined ? null : new Date(platform.clock.now().getTime() + delay);
      platform.logger.error(
        {
          err: error,
          provider: stored.provider,
          eventId: stored.event_id,
          kind: stored.kind,
          attempt: stored.attempts,
          willRetry: retryAt !== null,
        },
        'provider event could not be applied',
      );
      await markFailed(platform.db, stored.id, { error: (error as Error).message ?? String(error), retryAt });
    }
  }
}
