import { EventEmitter } from 'node:events';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Tables } from '../../db/tables.ts';

/** A committed status change, as every node's WebSocket hub needs it. */
export interface TransactionEvent {
  partnerId: string;
  transactionId: string;
  partnerUserId: string;
  seq: number;
  terminal: boolean;
  /** The `tx.update` message subscribers receive. */
  message: Record<string, unknown>;
}

/**
 * Fans committed status changes out to every node. On PostgreSQL the event is a NOTIFY issued
 * inside the change's own database transaction, so it is sent exactly when (and only if) the change
 * commits, to every node including this one. The embedded database has one process, so an
 * in-process emitter after commit does the same job behind the same interface.
 */
export interface EventBus {
  /** Publishes with the caller's database transaction: one change, or a set-wise job's whole batch. */
  publishInTransaction(trx: Kysely<Tables>, events: readonly TransactionEvent[]): Promise<void>;
  afterCommit(events: readonly TransactionEvent[]): void;
  subscribe(listener: (event: TransactionEvent) => void): () => void;
  /** Called after the bus lost events (a dropped LISTEN connection came back): subscribers must resync. */
  onReset(listener: () => void): () => void;
  /**
   * Tells every node, this one included, that a partner's access changed (disabled, token rotated or
   * revoked, origins or IP allowlist edited), once the change has committed: nodes drop cached
   * tokens and re-check the partner's open sockets at once instead of after the cache lifetime.
   */
  publishAccessChange(db: Kysely<Tables>, partnerId: string): Promise<void>;
  onAccessChange(listener: (partnerId: string) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Access changes share the status changes' channel (one LISTEN connection per node), told apart by this key. */
interface AccessChangePayload {
  access_changed: string;
}

export class LocalEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  async publishInTransaction(): Promise<void> {}
  afterCommit(events: readonly TransactionEvent[]): void {
    for (const event of events) this.emitter.emit('event', event);
  }
  subscribe(listener: (event: TransactionEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
  onReset(): () => void {
    return () => {};
  }
  async publishAccessChange(_db: Kysely<Tables>, partnerId: string): Promise<void> {
    this.emitter.emit('access', partnerId);
  }
  onAccessChange(listener: (partnerId: string) => void): () => void {
    this.emitter.on('access', listener);
    return () => this.emitter.off('access', listener);
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

export class PostgresEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private client: pg.Client | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly connectionString: string;
  private readonly channel: string;
  private readonly onError: (error: unknown) => void;

  /** `channel` is per schema, so deployments (or test runs) sharing a database do not hear each other. */
  constructor(options: { connectionString: string; channel: string; onError: (error: unknown) => void }) {
    this.connectionString = options.connectionString;
    this.channel = options.channel;
    this.onError = options.onError;
  }

  async publishInTransaction(trx: Kysely<Tables>, events: readonly TransactionEvent[]): Promise<void> {
    if (events.length === 1) {
      await sql`select pg_notify(${this.channel}, ${JSON.stringify(events[0])})`.execute(trx);
    } else if (events.length > 1) {
      // One statement for a batch: a NOTIFY per event (each payload stays under the 8,000-byte limit).
      const payloads = events.map((event) => JSON.stringify(event));
      await sql`select pg_notify(${this.channel}, payload) from unnest(${payloads}::text[]) as payload`.execute(trx);
    }
  }
  afterCommit(): void {}
  subscribe(listener: (event: TransactionEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  onReset(listener: () => void): () => void {
    this.emitter.on('reset', listener);
    return () => this.emitter.off('reset', listener);
  }

  async publishAccessChange(db: Kysely<Tables>, partnerId: string): Promise<void> {
    const payload: AccessChangePayload = { access_changed: partnerId };
    await sql`select pg_notify(${this.channel}, ${JSON.stringify(payload)})`.execute(db);
  }
  onAccessChange(listener: (partnerId: string) => void): () => void {
    this.emitter.on('access', listener);
    return () => this.emitter.off('access', listener);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      try {
        const parsed = JSON.parse(message.payload) as TransactionEvent | AccessChangePayload;
        if ('access_changed' in parsed) this.emitter.emit('access', parsed.access_changed);
        else this.emitter.emit('event', parsed);
      } catch (error) {
        this.onError(error);
      }
    });
    client.on('error', (error) => this.onError(error));
    client.on('end', () => {
      if (this.client !== client || this.stopped) return;
      this.client = null;
      this.reconnect(1_000);
    });
    try {
      await client.connect();
      await client.query(`listen "${this.channel}"`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  /**
   * Re-opens a lost LISTEN connection, backing off up to 30 s while the database stays away. Changes
   * committed meanwhile were not heard, so subscribers are told to resync (WebSocket clients are
   * asked to reconnect and get the current state first). Webhooks never depend on this channel.
   */
  private reconnect(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped) return;
      this.connect().then(
        () => this.emitter.emit('reset'),
        (error) => {
          this.onError(error);
          this.reconnect(Math.min(delayMs * 2, 30_000));
        },
      );
    }, delayMs);
    this.retryTimer.unref();
  }
}
