import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Db } from './db/database.ts';
import type { DatabaseReadiness } from './db/readiness.ts';
import type { Clock } from './lib/clock.ts';
import type { ConcurrencyLimit } from './lib/concurrency-limit.ts';
import type { Sealer } from './lib/crypto.ts';
import type { Metrics } from './lib/metrics.ts';
import type { Notifier } from './lib/notifier.ts';
import type { EventBus } from './modules/delivery/event-bus.ts';
import type { OutboxNotifier } from './modules/delivery/outbox-notifier.ts';
import type { Providers } from './providers.ts';

/** What every module's service functions get: the store, the clock, the keys and the adapters. */
export interface Platform {
  config: Config;
  db: Db;
  dbKind: 'pglite' | 'postgres';
  /** Whether the database answers, judged from its recent answers before probing it (see /readyz). */
  dbReadiness: DatabaseReadiness;
  clock: Clock;
  logger: Logger;
  /** Keys derived from the signing secret (SIGNING_SECRET), one per purpose; the root secret itself stays in bootstrap. */
  keys: { initToken: Buffer; sessionSignature: Buffer; widgetCredential: Buffer; rateLimitKeys: Buffer };
  /** Encrypts secrets and PII at rest. */
  sealer: Sealer;
  /** The adapters to the outside world (rates, deposit addresses …), built from configuration in providers.ts. */
  providers: Providers;
  /** Carries committed status changes to every node's WebSocket subscribers. */
  bus: EventBus;
  /** Told when deliveries were queued: this node's webhook worker sends them without waiting for its next poll. */
  outboxNotifier: OutboxNotifier;
  /** This platform's Prometheus metrics (served at /metrics; docs/operations.md). */
  metrics: Metrics;
  /** Told when a crypto transfer became due (a capture queued it, an operator retried it): this node's settlement worker takes it without waiting for its next poll. */
  transferNotifier: Notifier;
  /** Told when a provider callback was stored: this node's callback worker applies it without waiting for its next poll. */
  inboxNotifier: Notifier;
  /**
   * Bounds the status changes made at once on this node by changeStatus (STATUS_CHANGE_CONCURRENCY),
   * so a burst of them leaves the event loop and the pool to the node's other requests (decision 0027).
   */
  statusChangeLimit: ConcurrencyLimit;
}
