/**
 * Tells this node's webhook worker that deliveries were queued (or became due), so it sends them at
 * once instead of at its next poll (WEBHOOK_POLL_INTERVAL). Only a hint: the worker polls the
 * outbox anyway, so a notice nobody hears (no worker on this node, as in the CLI) loses nothing.
 * Created once in bootstrap; the worker subscribes while it runs.
 */
export class OutboxNotifier {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
