/**
 * A wake-up hint from the code that queued work to this node's worker for it, so the work starts at
 * once instead of at the worker's next poll. Only a hint: workers poll anyway, so a notice nobody
 * hears (no worker on this node, as in the CLI) loses nothing.
 */
export class Notifier {
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
