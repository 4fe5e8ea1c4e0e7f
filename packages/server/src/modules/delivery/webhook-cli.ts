import { parseArgs } from 'node:util';
import type { AdminClient } from '../../lib/admin-client.ts';
import { parseDuration } from '../../lib/duration.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { enableWebhookEndpoint, replayDelivery, replayFailed, webhookEndpointHealth } from './delivery-operations.ts';
import { DELIVERY_STATUSES, isDeliveryStatus } from './delivery-status.ts';
import { type DeliveryFilter, getDelivery, listDeliveries } from './delivery-store.ts';
import { DEFAULT_SECRET_GRACE_MS, type RotatedWebhookSecret, rotateWebhookSecret } from './webhook-secret.ts';

export const WEBHOOKS_USAGE = `proof webhooks <command> [--json]

  list [--partner ID] [--status pending|delivered|failed] [--limit N]
  show DELIVERY_ID                      the delivery and every attempt (each with its trigger)
  replay DELIVERY_ID | --failed [--partner ID]
  status PARTNER_ID                     the partner's endpoint: disabled (failing | gone), since when,
                                        failing since, messages pending
  enable PARTNER_ID                     enable a disabled endpoint: what waited is sent, in order
  rotate-secret --partner ID [--grace 24h]
                                        a new signing secret (shown once); the old one also
                                        signs for the grace period (0 ends it at once)`;

/** What the webhooks CLI needs; the local form calls the services, the remote one the admin API. */
export interface WebhookOperations {
  list(filter: { partnerId?: string; status?: string; limit?: number }): Promise<unknown[]>;
  show(id: string): Promise<unknown | undefined>;
  replay(id: string): Promise<boolean>;
  replayFailed(partnerId?: string): Promise<number>;
  /** The partner's endpoint health; undefined when there is no such partner. */
  endpoint(partnerId: string): Promise<Record<string, unknown> | undefined>;
  /** Enables the partner's endpoint; its health then, with `released` (messages that waited). */
  enable(partnerId: string): Promise<Record<string, unknown>>;
  /** `graceMs` undefined: the default grace (24 h). */
  rotateSecret(partnerId: string, graceMs: number | undefined): Promise<RotatedWebhookSecret>;
}

export function localWebhookOperations(platform: Platform): WebhookOperations {
  return {
    list: (filter) => listDeliveries(platform.db, filter as DeliveryFilter),
    show: (id) => getDelivery(platform.db, id),
    replay: (id) => replayDelivery(platform, id),
    replayFailed: (partnerId) => replayFailed(platform, partnerId),
    endpoint: (partnerId) => webhookEndpointHealth(platform, partnerId),
    async enable(partnerId) {
      const enabled = await enableWebhookEndpoint(platform, partnerId);
      if (!enabled) throw new ConfigurationError('partner', `no partner ${partnerId}`);
      return enabled;
    },
    async rotateSecret(partnerId, graceMs) {
      const rotated = await rotateWebhookSecret(platform, partnerId, graceMs ?? DEFAULT_SECRET_GRACE_MS);
      if (!rotated) throw new ConfigurationError('partner', `no partner ${partnerId}`);
      return rotated;
    },
  };
}

/** The same operations through a running server's admin API. */
export function remoteWebhookOperations(admin: AdminClient): WebhookOperations {
  return {
    async list(filter) {
      const query = new URLSearchParams();
      if (filter.partnerId) query.set('partner_id', filter.partnerId);
      if (filter.status) query.set('status', filter.status);
      if (filter.limit) query.set('limit', String(filter.limit));
      const { status, body } = await admin.call('GET', `/webhooks/deliveries?${query}`);
      if (status !== 200) throw new ConfigurationError('list', body.message);
      return body.deliveries;
    },
    async show(id) {
      const { status, body } = await admin.call('GET', `/webhooks/deliveries/${encodeURIComponent(id)}`);
      return status === 200 ? body : undefined;
    },
    async replay(id) {
      const { status, body } = await admin.call('POST', `/webhooks/deliveries/${encodeURIComponent(id)}/replay`, {});
      if (status === 404) throw new ConfigurationError('id', `no delivery ${id}`);
      return body.replayed;
    },
    async replayFailed(partnerId) {
      return (await admin.call('POST', '/webhooks/replay-failed', partnerId ? { partner_id: partnerId } : {})).body.replayed;
    },
    async endpoint(partnerId) {
      const { status, body } = await admin.call('GET', `/partners/${encodeURIComponent(partnerId)}/webhook`);
      if (status === 404) return undefined;
      if (status !== 200) throw new Error(`the server answered ${status}: ${body?.message ?? 'no message'}`);
      return body;
    },
    async enable(partnerId) {
      const { status, body } = await admin.call('POST', `/partners/${encodeURIComponent(partnerId)}/webhook/enable`, {});
      if (status === 404) throw new ConfigurationError('partner', `no partner ${partnerId}`);
      if (status !== 200) throw new Error(`the server answered ${status}: ${body?.message ?? 'no message'}`);
      return body;
    },
    async rotateSecret(partnerId, graceMs) {
      const path = `/partners/${encodeURIComponent(partnerId)}/webhook-secret/rotate`;
      const { status, body } = await admin.call('POST', path, graceMs === undefined ? {} : { grace_seconds: Math.floor(graceMs / 1000) });
      if (status === 404) throw new ConfigurationError('partner', `no partner ${partnerId}`);
      const detail = body?.details?.[0];
      if (detail) throw new ConfigurationError(String(detail.field), String(detail.issue));
      if (status !== 200) throw new Error(`the server answered ${status}: ${body?.message ?? 'no message'}`);
      return body;
    },
  };
}

export async function runWebhooksCommand(args: string[], operations: WebhookOperations): Promise<string> {
  const [command, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      json: { type: 'boolean' },
      partner: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      failed: { type: 'boolean' },
      grace: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  switch (command) {
    case 'list': {
      if (values.status && !isDeliveryStatus(values.status))
        throw new ConfigurationError('status', `must be ${DELIVERY_STATUSES.slice(0, -1).join(', ')} or ${DELIVERY_STATUSES.at(-1)}`);
      if (values.limit && !/^\d{1,4}$/.test(values.limit)) throw new ConfigurationError('limit', 'must be a number up to 9999');
      const deliveries = (await operations.list({
        ...(values.partner ? { partnerId: values.partner } : {}),
        ...(values.status ? { status: values.status } : {}),
        ...(values.limit ? { limit: Number(values.limit) } : {}),
      })) as Array<Record<string, unknown>>;
      if (values.json) return json(deliveries);
      // One partner's list says first when its endpoint is disabled: its pending messages are waiting, not retrying.
      const endpoint = values.partner ? await operations.endpoint(values.partner) : undefined;
      const header = endpoint?.disabled ? [`${describeEndpoint(endpoint)}`] : [];
      if (deliveries.length === 0) return [...header, 'No deliveries.'].join('\n');
      return [
        ...header,
        ...deliveries.map((d) =>
          `${d.id}  ${String(d.status).padEnd(9)}  attempts ${d.attempts}  ${d.event_type}  ${d.last_status_code ?? ''} ${d.last_error ?? ''}`.trimEnd(),
        ),
      ].join('\n');
    }
    case 'show': {
      if (!positionals[0]) throw new ConfigurationError('id', 'show needs a delivery id');
      const delivery = await operations.show(positionals[0]);
      if (!delivery) throw new ConfigurationError('id', `no delivery ${positionals[0]}`);
      return json(delivery);
    }
    case 'replay': {
      if (values.failed) {
        const count = await operations.replayFailed(values.partner);
        return values.json ? json({ replayed: count }) : `Queued ${count} failed deliveries again.`;
      }
      if (!positionals[0]) throw new ConfigurationError('id', 'replay needs a delivery id, or --failed');
      const replayed = await operations.replay(positionals[0]);
      return values.json ? json({ replayed }) : replayed ? 'Queued again.' : 'It is already pending.';
    }
    case 'status': {
      const partnerId = positionals[0] ?? values.partner;
      if (!partnerId) throw new ConfigurationError('partner', 'status needs a partner id');
      const endpoint = await operations.endpoint(partnerId);
      if (!endpoint) throw new ConfigurationError('partner', `no partner ${partnerId}`);
      return values.json ? json(endpoint) : describeEndpoint(endpoint);
    }
    case 'enable': {
      const partnerId = positionals[0] ?? values.partner;
      if (!partnerId) throw new ConfigurationError('partner', 'enable needs a partner id');
      const enabled = await operations.enable(partnerId);
      if (values.json) return json(enabled);
      return `Enabled; ${enabled.released} waiting message${enabled.released === 1 ? '' : 's'} will be sent, in order.`;
    }
    case 'rotate-secret': {
      if (!values.partner) throw new ConfigurationError('partner', 'rotate-secret needs --partner ID');
      const rotated = await operations.rotateSecret(values.partner, values.grace === undefined ? undefined : graceFlag(values.grace));
      if (values.json) return json(rotated);
      return [
        `New webhook_secret  ${rotated.webhook_secret}    (shown once)`,
        `Messages are also signed with the previous secret until ${rotated.previous_secret_expires_at}.`,
      ].join('\n');
    }
    default:
      throw new ConfigurationError('command', `unknown webhooks command "${command ?? ''}"\n\n${WEBHOOKS_USAGE}`);
  }
}

/** One line on an endpoint's health for people. */
function describeEndpoint(endpoint: Record<string, unknown>): string {
  const pending = `${endpoint.pending} pending`;
  if (endpoint.disabled) {
    return `Endpoint ${endpoint.url ?? '(no URL)'}  DISABLED (${endpoint.disabled_reason}) at ${iso(endpoint.disabled_at)}  ${pending}, kept until \`proof webhooks enable ${endpoint.partner_id}\``;
  }
  const failing = endpoint.failing_since ? `  failing since ${iso(endpoint.failing_since)}` : '';
  return `Endpoint ${endpoint.url ?? '(no URL)'}  enabled${failing}  ${pending}`;
}

function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** A bad --grace is bad input like any other flag (exit code 2), not a crash. */
function graceFlag(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new ConfigurationError('grace', (error as Error).message);
  }
}
