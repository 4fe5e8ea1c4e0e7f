import type { Logger } from 'pino';
import type { Notifier } from './notifier.ts';

export interface WorkerLoopOptions {
  /** What a failed round is logged as, e.g. "settlement worker round failed". */
  failure: string;
  logger: Logger;
  /** One round of work; answers how much it handled (0: nothing was due). */
  round: () => Promise<number>;
  /** How long to wait after a round that handled nothing; read each time, so a setting can change it. */
  pollIntervalMs: () => number;
  /** Wakes the loop at once when work is queued on this node (a hint: the loop polls anyway). */
  notifier?: Notifier;
}

/**
 * The loop behind a polling worker: rounds one at a time, the next at once while there is work (or a
 * wake-up came during a round), else after the poll interval; `drain` runs rounds until one handles
 * nothing, so tests drive the worker deterministically; `stop` waits for the round under way.
 */
export class WorkerLoop {
  private readonly options: WorkerLoopOptions;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private wakeRequested = false;
  private stopped = true;

  constructor(options: WorkerLoopOptions) {
    this.options = options;
  }

  start(): void {
    this.stopped = false;
    this.unsubscribe = this.options.notifier?.subscribe(() => this.wake()) ?? null;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.running?.catch(() => undefined);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) this.wakeRequested = true;
    else this.schedule(0);
  }

  /** Runs rounds until one handles nothing; answers how much they handled together. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const handled = await this.round();
      total += handled;
      if (handled === 0) return total;
    }
  }

  /** One round; a round already under way is waited for first (one at a time per loop). */
  round(): Promise<number> {
    if (this.running) return this.running.catch(() => undefined).then(() => this.round());
    this.running = this.options.round().finally(() => (this.running = null));
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.round()
        .catch((error) => {
          this.options.logger.error({ err: error }, this.options.failure);
          return 0;
        })
        .then((handled) => {
          const again = this.wakeRequested || handled > 0;
          this.wakeRequested = false;
          this.schedule(again ? 0 : this.options.pollIntervalMs());
        });
    }, delayMs);
    this.timer.unref?.();
  }
}
