import { parseArgs } from 'node:util';
import type { AdminClient } from '../../lib/admin-client.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { replayDelivery, replayFailed } from './delivery-operations.ts';
import { DELIVERY_STATUSES, isDeliveryStatus } from './delivery-status.ts';
import { type DeliveryFilter, getDelivery, listDeliveries } from './delivery-store.ts';

export const WEBHOOKS_USAGE = `proof webhooks <command> [--json]

  list [--partner ID] [--status pending|delivered|failed] [--limit N]
  show DELIVERY_ID                      the delivery and every attempt
  replay DELIVERY_ID | --failed [--partner ID]`;

/** What the webhooks CLI needs; the local form calls the services, the remote one the admin API. */
export interface WebhookOperations {
  list(filter: { partnerId?: string; status?: string; limit?: number }): Promise<unknown[]>;
  show(id: string): Promise<unknown | undefined>;
  replay(id: string): Promise<boolean>;
  replayFailed(partnerId?: string): Promise<number>;
}

export function localWebhookOperations(platform: Platform): WebhookOperations {
  return {
    list: (filter) => listDeliveries(platform.db, filter as DeliveryFilter),
    show: (id) => getDelivery(platform.db, id),
    replay: (id) => replayDelivery(platform, id),
    replayFailed: (partnerId) => replayFailed(platform, partnerId),
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
      if (deliveries.length === 0) return 'No deliveries.';
      return deliveries
        .map((d) =>
          `${d.id}  ${String(d.status).padEnd(9)}  attempts ${d.attempts}  ${d.event_type}  ${d.last_status_code ?? ''} ${d.last_error ?? ''}`.trimEnd(),
        )
        .join('\n');
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
    default:
      throw new ConfigurationError('command', `unknown webhooks command "${command ?? ''}"\n\n${WEBHOOKS_USAGE}`);
  }
}
