import { type ColumnType, type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

import { sqlEnumList } from '../../db/sql-enum.ts';
import { ATTEMPT_TRIGGERS, type AttemptTrigger, DELIVERY_STATUSES, type DeliveryStatus } from './delivery-status.ts';

export type { AttemptTrigger, DeliveryStatus };

/**
 * The webhook outbox: one row per event per partner endpoint, written in the same database
 * transaction as the status change it reports, so a crash can never lose it. Workers lease due rows
 * (FOR UPDATE SKIP LOCKED), so two live nodes never make the same attempt.
 */
export interface WebhookDeliveriesTable {
  id: string;
  partner_id: string;
  /** Null for test events, which belong to no transaction. */
  transaction_id: string | null;
  seq: number;
  event_type: string;
  url: string;
  /** The body as sent (json: kept as the text it was given); read back parsed. */
  payload: ColumnType<Record<string, unknown>, string, string>;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  lease_until: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
  delivered_at: Date | null;
  /** What the next attempt is: `manual` once an operator replays it, `scheduled` again after that attempt. */
  next_trigger: ColumnType<AttemptTrigger, AttemptTrigger | undefined, AttemptTrigger>;
  /**
   * When a worker may claim it (once no lease holds it): set only on the first pending message of its
   * transaction (the head; every test event is one) while its endpoint is enabled, to its next
   * attempt; null on every message that waits behind another or for its endpoint. The claim
   * reads a partial index on it, so messages that wait cost it nothing.
   */
  claimable_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/**
 * How many pending messages each transaction has in the outbox; a row exists only while it has some.
 * Queuing a message and finishing one both update this row, so the row lock orders them: whichever
 * commits second sees the other's message, and the next message becomes the head exactly once.
 */
export interface WebhookChainsTable {
  transaction_id: string;
  pending: number;
}

export interface WebhookAttemptsTable {
  id: ColumnType<string, never, never>;
  delivery_id: string;
  attempt: number;
  started_at: Date;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  /** Scheduled (the first send or a retry) or manual (an operator's replay); rows from before it existed are scheduled. */
  trigger: ColumnType<AttemptTrigger, AttemptTrigger | undefined, never>;
}

/**
 * Where and how a partner's webhooks go: delivery's own record of the endpoint, kept apart from the
 * messages (as Svix does). The partners module states the URL and the secret through
 * createWebhookEndpoint and setWebhookUrl, in the same database transaction as its own change; the
 * secret is delivery's once the endpoint exists (rotateWebhookSecret), and so are `enabled` and
 * `disabled_reason` (endpoint health). The outbox and the worker read only this.
 */
export interface WebhookEndpointsTable {
  partner_id: string;
  /** Null when the partner takes no webhooks. */
  url: string | null;
  /** The signing secret, AES-256-GCM sealed: it must be used, so it is encrypted rather than hashed. */
  secret_enc: string;
  /** The secret a rotation replaced, sealed likewise: messages are signed with it too until it expires. */
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
  enabled: boolean;
  /** Why it is disabled (EndpointDisabledReason); null while enabled. */
  disabled_reason: string | null;
  disabled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** When the current run of failed attempts began (the first failure after a success); null after a success. */
  failing_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface DeliveryTables {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  webhook_chains: WebhookChainsTable;
}

export const deliveryMigrations: Record<string, Migration> = {
  '0006_webhook_deliveries': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
        .addColumn('transaction_id', 'uuid')
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sqlEnumList(DELIVERY_STATUSES)})`))
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
        .addColumn('lease_until', 'timestamptz')
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('delivered_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_tx_idx').on('webhook_deliveries').columns(['transaction_id', 'seq']).execute();
      await db.schema
        .createIndex('webhook_deliveries_partner_idx')
        .on('webhook_deliveries')
        .columns(['partner_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('webhook_attempts')
        .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('delivery_id', 'text', (c) => c.notNull().references('webhook_deliveries.id'))
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('webhook_attempts_delivery_idx').on('webhook_attempts').column('delivery_id').execute();
    },
  },
  '0007_webhook_endpoints': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('partner_id', 'text', (c) => c.primaryKey().references('partners.id'))
        .addColumn('url', 'text')
        .addColumn('secret_enc', 'text', (c) => c.notNull())
        .addColumn('enabled', 'boolean', (c) => c.notNull())
        .addColumn('disabled_reason', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      // Partners created before this migration kept their webhook settings on their own row only.
      // A one-time copy, frozen here like every migration (the architecture test allows exactly this read).
      await sql`
        insert into webhook_endpoints (partner_id, url, secret_enc, enabled, disabled_reason, created_at, updated_at)
        select id, webhook_url, webhook_secret_enc, true, null, created_at, updated_at from partners`.execute(db);
    },
  },
  '0008_webhook_secret_rotation': {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('webhook_endpoints')
        .addColumn('previous_secret_enc', 'text')
        .addColumn('previous_secret_expires_at', 'timestamptz')
        .execute();
    },
  },
  '0056_webhook_endpoint_health': {
    async up(db: Kysely<any>) {
      // Endpoint health (Svix's model): an endpoint that fails every attempt for WEBHOOK_DISABLE_AFTER,
      // or answers 410, is disabled; every attempt records what started it.
      await db.schema
        .alterTable('webhook_endpoints')
        .addColumn('failing_since', 'timestamptz')
        .addColumn('disabled_at', 'timestamptz')
        .execute();
      const triggers = sql`in (${sqlEnumList(ATTEMPT_TRIGGERS)})`;
      await db.schema
        .alterTable('webhook_deliveries')
        .addColumn('next_trigger', 'text', (c) => c.notNull().defaultTo('scheduled').check(sql`next_trigger ${triggers}`))
        .execute();
      await db.schema
        .alterTable('webhook_attempts')
        .addColumn('trigger', 'text', (c) =>
          c
            .notNull()
            .defaultTo('scheduled')
            .check(sql`${sql.ref('trigger')} ${triggers}`),
        )
        .execute();
    },
  },
  '0058_webhook_claimable_heads': {
    async up(db: Kysely<any>) {
      // Only each transaction's first pending message is claimable (claimable_at), so the claim no
      // longer reads what waits behind it; webhook_chains counts each transaction's pending messages.
      await db.schema.alterTable('webhook_deliveries').addColumn('claimable_at', 'timestamptz').execute();
      await sql`create index webhook_deliveries_claimable_idx on webhook_deliveries (claimable_at) where claimable_at is not null`.execute(
        db,
      );
      // A transaction's pending messages in order: finding the next head, and whether one waits for
      // another. It replaces the index by status, which the planner combined with the transaction's
      // index to read every pending message for each head it looked for.
      await sql`create index webhook_deliveries_pending_chain_idx on webhook_deliveries (transaction_id, seq) where status = 'pending'`.execute(
        db,
      );
      await db.schema.dropIndex('webhook_deliveries_due_idx').execute();
      // Nothing reads a transaction's delivered messages by transaction any more.
      await db.schema.dropIndex('webhook_deliveries_tx_idx').execute();
      // Room on each page, so a claim (which changes no indexed column) updates its row in place.
      await sql`alter table webhook_deliveries set (fillfactor = 80)`.execute(db);
      // The payload is kept as the exact text that is sent (json, not jsonb): nothing queries inside
      // it, and an attempt then sends it as stored, without converting it back to text.
      await sql`alter table webhook_deliveries alter column payload type json using payload::json`.execute(db);
      await db.schema
        .createTable('webhook_chains')
        .addColumn('transaction_id', 'uuid', (c) => c.primaryKey())
        .addColumn('pending', 'integer', (c) => c.notNull())
        .execute();
      await sql`
        insert into webhook_chains (transaction_id, pending)
        select transaction_id, count(*) from webhook_deliveries
        where status = 'pending' and transaction_id is not null group by transaction_id`.execute(db);
      await sql`
        update webhook_deliveries d set claimable_at = d.next_attempt_at
        where d.status = 'pending'
          and not exists (select 1 from webhook_endpoints w where w.partner_id = d.partner_id and not w.enabled)
          and not exists (
            select 1 from webhook_deliveries e where e.transaction_id = d.transaction_id and e.seq < d.seq and e.status = 'pending')`.execute(
        db,
      );
    },
  },
  '0059_webhook_deliveries_room_for_claims': {
    async up(db: Kysely<any>) {
      // A claim changes no indexed column, so its update can stay on the row's page (a HOT update,
      // no index entries) only if the page has room for a second version of the row. Claims take
      // messages in the order they were queued, so every row on a page is claimed within a claim
      // or two: at 80% full a page had room for about one row in four, and the rest moved to
      // other pages with an entry in each of the table's four indexes. Half full, each row has room
      // for its claim (pages written before this keep their old layout).
      await sql`alter table webhook_deliveries set (fillfactor = 50)`.execute(db);
    },
  },
};
