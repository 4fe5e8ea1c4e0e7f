import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
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
  publishInTransaction(trx: Kysely<Tables>, event: TransactionEvent): Promise<void>;
  afterCommit(event: TransactionEvent): void;
  subscribe(listener: (event: TransactionEvent) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class LocalEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  async publishInTransaction(): Promise<void> {}
  afterCommit(event: TransactionEvent): void {
    this.emitter.emit('event', event);
  }
  subscribe(listener: (event: TransactionEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

export class PostgresEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private client: pg.Client | null = null;
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

  async publishInTransaction(trx: Kysely<Tables>, event: TransactionEvent): Promise<void> {
    await sql`select pg_notify(${this.channel}, ${JSON.stringify(event)})`.execute(trx);
  }
  afterCommit(): void {}
  subscribe(listener: (event: TransactionEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      try {
        this.emitter.emit('event', JSON.parse(message.payload) as TransactionEvent);
      } catch (error) {
        this.onError(error);
      }
    });
    // A lost LISTEN connection is re-opened; subscribers catch up from the current state when they
    // reconnect, and webhooks never depend on this channel.
    client.on('error', (error) => this.onError(error));
    client.on('end', () => {
      if (this.client === client && !this.stopped) setTimeout(() => this.connect().catch(this.onError), 1000);
    });
    await client.connect();
    await client.query(`listen "${this.channel}"`);
    this.client = client;
  }
}
