import { type Kysely, sql } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { recomputeHeads } from './delivery-queue.ts';
import type { EndpointDisabledReason } from './delivery-status.ts';
import { disableReason, type EndpointRun } from './endpoint-runs.ts';

/**
 * The only way into webhook_endpoints from outside delivery. Each function runs on `db`, which is the
 * caller's transaction when it has one, so a partner and its endpoint never disagree. The partners
 * module makes the endpoint with the partner and states its URL; the signing secret is delivery's
 * from then on (rotateWebhookSecret), and so is the endpoint's health (enabled, disabled_reason).
 */

/** A new partner's endpoint: its URL (null: it takes no webhooks) and its first secret, already sealed. */
export async function createWebhookEndpoint(
  db: Kysely<Tables>,
  endpoint: { partnerId: string; url: string | null; secretSealed: string; now: Date },
): Promise<void> {
  await db
    .insertInto('webhook_endpoints')
    .values({
      partner_id: endpoint.partnerId,
      url: endpoint.url,
      secret_enc: endpoint.secretSealed,
      previous_secret_enc: null,
      previous_secret_expires_at: null,
      enabled: true,
      disabled_reason: null,
      disabled_at: null,
      failing_since: null,
      created_at: endpoint.now,
      updated_at: endpoint.now,
    })
    .execute();
}

/** Points the partner's endpoint at a new URL (null: no more webhooks); the secret and health stay. */
export async function setWebhookUrl(db: Kysely<Tables>, endpoint: { partnerId: string; url: string | null; now: Date }): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ url: endpoint.url, updated_at: endpoint.now })
    .where('partner_id', '=', endpoint.partnerId)
    .execute();
}

/**
 * Where new messages for the partner go and whether they may be sent now; undefined when it takes
 * none (no URL). A disabled endpoint still gets its messages queued: they wait, unsent, until it is
 * enabled again.
 */
export async function findWebhookTarget(db: Kysely<Tables>, partnerId: string): Promise<{ url: string; enabled: boolean } | undefined> {
  const row = await db.selectFrom('webhook_endpoints').select(['url', 'enabled']).where('partner_id', '=', partnerId).executeTakeFirst();
  return row?.url ? { url: row.url, enabled: row.enabled } : undefined;
}

/** The endpoint's health as operators see it, with how many of its messages wait; undefined when there is no endpoint. */
export async function findEndpointHealth(db: Kysely<Tables>, partnerId: string) {
  const row = await db
    .selectFrom('webhook_endpoints as w')
    .select((eb) => [
      'w.partner_id',
      'w.url',
      'w.enabled',
      'w.disabled_reason',
      'w.disabled_at',
      'w.failing_since',
      eb
        .selectFrom('webhook_deliveries as d')
        .select((inner) => inner.fn.countAll<string>().as('n'))
        .whereRef('d.partner_id', '=', 'w.partner_id')
        .where('d.status', '=', 'pending')
        .as('pending'),
    ])
    .where('w.partner_id', '=', partnerId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    partner_id: row.partner_id,
    url: row.url,
    disabled: !row.enabled,
    disabled_reason: row.disabled_reason as EndpointDisabledReason | null,
    disabled_at: row.disabled_at,
    failing_since: row.failing_since,
    pending: Number(row.pending ?? 0),
  };
}

export type EndpointHealth = NonNullable<Awaited<ReturnType<typeof findEndpointHealth>>>;

/**
 * Records a batch of attempts' outcomes on their endpoints' health, in the caller's transaction (the
 * one that records the attempts), endpoint by endpoint in partner id order. A healthy endpoint is only
 * written (and locked) when a run of failures was on record. Returns the endpoints this batch
 * disabled, with why.
 */
export async function recordEndpointRuns(
  db: Kysely<Tables>,
  runs: readonly EndpointRun[],
  disableAfterMs: number,
): Promise<Array<{ run: EndpointRun; reason: EndpointDisabledReason }>> {
  const disabled: Array<{ run: EndpointRun; reason: EndpointDisabledReason }> = [];
  for (const run of runs) {
    const { partnerId } = run;
    if (run.lastOk && !run.gone) {
      await db
        .updateTable('webhook_endpoints')
        .set({ failing_since: null })
        .where('partner_id', '=', partnerId)
        .where('failing_since', 'is not', null)
        .execute();
      continue;
    }
    const failingSince = run.lastOk
      ? sql<Date | null>`null`
      : run.sawSuccess
        ? sql<Date>`${run.failingFrom}::timestamptz`
        : sql<Date>`coalesce(failing_since, ${run.failingFrom}::timestamptz)`;
    const row = await db
      .updateTable('webhook_endpoints')
      .set({ failing_since: failingSince })
      .where('partner_id', '=', partnerId)
      .returning(['enabled', 'failing_since'])
      .executeTakeFirst();
    if (!row?.enabled) continue;
    const reason = disableReason(run, row.failing_since, disableAfterMs);
    if (reason === null) continue;
    await db
      .updateTable('webhook_endpoints')
      .set({ enabled: false, disabled_reason: reason, disabled_at: run.lastAt, updated_at: run.lastAt })
      .where('partner_id', '=', partnerId)
      .execute();
    disabled.push({ run, reason });
  }
  return disabled;
}

/**
 * Enables a disabled endpoint again and makes every message that waited due now, sent to the
 * endpoint's current URL (the usual reason to enable it is that the partner fixed it); the worker
 * then sends them oldest first, each transaction's in order. Returns how many messages it released,
 * or null when the endpoint was not disabled (or does not exist).
 */
export async function enableEndpoint(db: Kysely<Tables>, endpoint: { partnerId: string; now: Date }): Promise<number | null> {
  const { partnerId, now } = endpoint;
  const enabled = await db
    .updateTable('webhook_endpoints')
    .set({ enabled: true, disabled_reason: null, disabled_at: null, failing_since: null, updated_at: now })
    .where('partner_id', '=', partnerId)
    .where('enabled', '=', false)
    .returning('url')
    .executeTakeFirst();
  if (!enabled) return null;
  const released = await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      next_attempt_at: sql<Date>`least(${eb.ref('next_attempt_at')}, ${now})`,
      url: sql<string>`coalesce(${enabled.url}, ${eb.ref('url')})`,
      updated_at: now,
    }))
    .where('partner_id', '=', partnerId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  // Its heads were parked while it was disabled.
  await recomputeHeads(db, { partnerId });
  return Number(released.numUpdatedRows);
}

/** The sealed current signing secret of the partner's endpoint, or undefined when there is no endpoint. */
export async function findSealedWebhookSecret(db: Kysely<Tables>, partnerId: string): Promise<string | undefined> {
  const row = await db.selectFrom('webhook_endpoints').select('secret_enc').where('partner_id', '=', partnerId).executeTakeFirst();
  return row?.secret_enc;
}

/**
 * Every sealed secret a message to the partner is signed with at `now`: the current one, then the one
 * a rotation replaced while its grace period lasts. Undefined when there is no endpoint.
 */
export async function findSealedSigningSecrets(db: Kysely<Tables>, partnerId: string, now: Date): Promise<string[] | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select(['secret_enc', 'previous_secret_enc', 'previous_secret_expires_at'])
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
  if (!row) return undefined;
  const previousLive = row.previous_secret_enc !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now;
  return previousLive ? [row.secret_enc, row.previous_secret_enc!] : [row.secret_enc];
}

/**
 * Makes `secretSealed` the endpoint's secret and keeps the one it replaces until `previousExpiresAt`
 * (null: dropped at once). One previous secret is kept: a secret replaced earlier stops at once. One
 * statement, so concurrent rotations cannot interleave. False when the partner has no endpoint.
 */
export async function replaceWebhookSecret(
  db: Kysely<Tables>,
  rotation: { partnerId: string; secretSealed: string; previousExpiresAt: Date | null; now: Date },
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set((eb) => ({
      secret_enc: rotation.secretSealed,
      previous_secret_enc: rotation.previousExpiresAt === null ? null : eb.ref('secret_enc'),
      previous_secret_expires_at: rotation.previousExpiresAt,
      updated_at: rotation.now,
    }))
    .where('partner_id', '=', rotation.partnerId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
