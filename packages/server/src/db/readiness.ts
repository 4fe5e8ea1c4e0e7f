/**
 * Whether the database answers, without queueing behind the work it is doing. The embedded database
 * serves one caller at a time, so a probe sent during a burst waits its turn (over a second was
 * seen); but during a burst the database is answering all the time. So every completed query counts
 * as proof: readiness is immediate when one completed within `freshMs`, and only a quiet database
 * gets a probe, which must answer within `probeTimeoutMs`.
 */
export class DatabaseReadiness {
  private lastAnswerAt = Number.NEGATIVE_INFINITY;
  private readonly freshMs: number;
  private readonly probeTimeoutMs: number;

  constructor(options: { freshMs?: number; probeTimeoutMs?: number } = {}) {
    this.freshMs = options.freshMs ?? 2_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
  }

  /** Called for every query the database completed successfully. */
  recordAnswer(): void {
    this.lastAnswerAt = performance.now();
  }

  async isReady(probe: () => Promise<unknown>): Promise<boolean> {
    if (performance.now() - this.lastAnswerAt < this.freshMs) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.probeTimeoutMs);
    });
    try {
      return await Promise.race([probe().then(() => true), timedOut]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
