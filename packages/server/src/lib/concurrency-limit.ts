/**
 * Runs at most `limit` pieces of work at once; the rest wait, in the order they came, for a place.
 * A place is freed when its work settles, whether it resolved or threw.
 */
export class ConcurrencyLimit {
  private readonly limit: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`a concurrency limit must be a whole number of at least 1, got ${limit}`);
    this.limit = limit;
  }

  /** How many wait for a place now. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // The place passes straight to the next in line, so a newcomer cannot take it first.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
