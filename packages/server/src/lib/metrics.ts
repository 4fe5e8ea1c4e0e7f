import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The platform's Prometheus metrics: one registry per platform (tests run many platforms in one
 * process, so nothing goes into prom-client's global registry), every name prefixed `proof_`. What
 * each metric means and the alerts to set on them: docs/operations.md.
 *
 * Labels stay bounded: an HTTP route is Fastify's route pattern (`/widget/transactions/:id`), never
 * the URL; outcomes, statuses and reasons come from closed lists.
 */
export const METRIC_PREFIX = 'proof_';

/** Seconds. From 5 ms (a cached read) to 10 s (the webhook and request timeouts' order). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How a webhook attempt ended; see webhookAttemptOutcome. */
export type WebhookAttemptOutcome = 'success' | 'http_error' | 'timeout' | 'network_error' | 'blocked' | 'internal_error';

export interface WebhookQueueStats {
  /** Pending messages: due, waiting for a retry, or behind an earlier message of their transaction. */
  depth: number;
  /** Seconds since the oldest pending message was queued; 0 when none is pending. */
  oldestAgeSeconds: number;
  /** Partner endpoints disabled (by failing for too long, a 410, or an operator): their messages wait. */
  disabledEndpoints: number;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface MetricsSources {
  /** Read at scrape time (one cheap query); a failure leaves the gauges at their last value. */
  webhookQueue: () => Promise<WebhookQueueStats>;
  /** The PostgreSQL pool's counters, read at scrape time; undefined on the embedded database (one connection, in process). */
  pool?: (() => PoolStats) | undefined;
  /** Status changes waiting for a place under STATUS_CHANGE_CONCURRENCY (decision 0027), read at scrape time. */
  statusChangesWaiting: () => number;
}

export interface Metrics {
  registry: Registry;
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  webhookAttempts: Counter<'outcome'>;
  /** Counts one webhook attempt under its outcome (webhookAttemptOutcome) from what the worker recorded. */
  countWebhookAttempt(statusCode: number | null, error: string | null): void;
  websocketConnections: Gauge;
  statusChanges: Counter<'type' | 'status' | 'reason'>;
  providerCallDuration: Histogram<'kind' | 'operation' | 'outcome'>;
  /** The Prometheus text exposition of this platform's metrics and the process's. */
  render(): Promise<string>;
  /** `text/plain; version=0.0.4; charset=utf-8` */
  contentType: string;
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const httpRequestDuration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP requests by method, route pattern and status code: time from receipt to the response sent.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const webhookAttempts = new Counter({
    name: `${METRIC_PREFIX}webhook_attempts_total`,
    help: 'Webhook delivery attempts made by this node, by outcome (success, http_error, timeout, network_error, blocked, internal_error).',
    labelNames: ['outcome'] as const,
    registers,
  });
  new Gauge({
    name: `${METRIC_PREFIX}webhook_queue_depth`,
    help: 'Webhook messages pending in the outbox (all nodes): due, waiting for a retry, or behind an earlier message of their transaction.',
    registers,
    async collect() {
      this.set((await queue()).depth);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}webhook_queue_oldest_age_seconds`,
    help: 'Age of the oldest pending webhook message in the outbox (all nodes); 0 when none is pending.',
    registers,
    async collect() {
      this.set((await queue()).oldestAgeSeconds);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}webhook_endpoints_disabled`,
    help: 'Partner webhook endpoints disabled (failing for too long, answering 410, or by an operator); their messages wait in the queue.',
    registers,
    async collect() {
      this.set((await queue()).disabledEndpoints);
    },
  });
  const websocketConnections = new Gauge({
    name: `${METRIC_PREFIX}websocket_connections`,
    help: 'Authenticated WebSocket subscriptions open on this node.',
    registers,
  });
  const statusChanges = new Counter({
    name: `${METRIC_PREFIX}transaction_status_changes_total`,
    help: 'Transaction status changes committed by this node, by transaction type, new status and reason ("none" without one).',
    labelNames: ['type', 'status', 'reason'] as const,
    registers,
  });
  new Gauge({
    name: `${METRIC_PREFIX}status_changes_waiting`,
    help: 'Status changes waiting on this node for one of the STATUS_CHANGE_CONCURRENCY places to run.',
    registers,
    collect() {
      this.set(sources.statusChangesWaiting());
    },
  });
  const providerCallDuration = new Histogram({
    name: `${METRIC_PREFIX}provider_call_duration_seconds`,
    help: 'Calls into the provider adapters (rates, kyc, payments, payouts, deposit_addresses, chain) by operation and outcome.',
    labelNames: ['kind', 'operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const { pool } = sources;
  // The embedded database has no pool: one connection inside the process, queries run one at a time.
  if (pool) {
    const poolGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
      new Gauge({
        name: `${METRIC_PREFIX}db_pool_${name}`,
        help,
        registers,
        collect() {
          this.set(read(pool()));
        },
      });
    poolGauge('connections', 'PostgreSQL connections this node holds open (busy and idle).', (stats) => stats.total);
    poolGauge('idle_connections', 'PostgreSQL connections open and idle.', (stats) => stats.idle);
    poolGauge('waiting_clients', 'Queries waiting for a PostgreSQL connection (the pool is exhausted).', (stats) => stats.waiting);
  }

  // The three queue gauges come from one query per scrape: the first collect starts it, the others join it.
  let pendingQueue: Promise<WebhookQueueStats> | null = null;
  let lastQueue: WebhookQueueStats = { depth: 0, oldestAgeSeconds: 0, disabledEndpoints: 0 };
  function queue(): Promise<WebhookQueueStats> {
    pendingQueue ??= sources
      .webhookQueue()
      .then((stats) => (lastQueue = stats))
      .catch(() => lastQueue)
      .finally(() => (pendingQueue = null));
    return pendingQueue;
  }

  const processRegistry = processMetrics();
  return {
    registry,
    httpRequestDuration,
    webhookAttempts,
    countWebhookAttempt: (statusCode, error) => webhookAttempts.inc({ outcome: webhookAttemptOutcome(statusCode, error) }),
    websocketConnections,
    statusChanges,
    providerCallDuration,
    contentType: registry.contentType,
    render: async () => `${await registry.metrics()}\n${await processRegistry.metrics()}`,
  };
}

let processRegistry: Registry | undefined;

/**
 * Node's process metrics (CPU, memory, event loop lag, GC, handles), once per process: they describe
 * the process, not a platform, and prom-client starts an event-loop monitor and a GC observer for
 * them that it never stops, so a registry of their own per platform would leak in tests.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: METRIC_PREFIX });
  }
  return processRegistry;
}

/**
 * The outcome label of a webhook attempt from what the worker recorded: a 2xx is `success`, any other
 * answer `http_error`; without an answer, the sender's error tells a timeout, a target refused by the
 * SSRF guard (`blocked: …`), a fault of ours (`internal: …`, no endpoint any more) and the rest
 * (refused connection, DNS, TLS, reset) apart.
 */
export function webhookAttemptOutcome(statusCode: number | null, error: string | null): WebhookAttemptOutcome {
  if (statusCode !== null) return statusCode >= 200 && statusCode < 300 ? 'success' : 'http_error';
  if (error === 'timeout') return 'timeout';
  if (error?.startsWith('blocked:')) return 'blocked';
  if (error?.startsWith('internal:') || error === 'partner no longer exists') return 'internal_error';
  return 'network_error';
}
