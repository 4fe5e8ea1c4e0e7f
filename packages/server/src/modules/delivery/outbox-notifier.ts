import { Notifier } from '../../lib/notifier.ts';

/**
 * Tells this node's webhook worker that deliveries were queued (or became due), so it sends them at
 * once instead of at its next poll (WEBHOOK_POLL_INTERVAL). Created once in bootstrap; the worker
 * subscribes while it runs.
 */
export class OutboxNotifier extends Notifier {}
