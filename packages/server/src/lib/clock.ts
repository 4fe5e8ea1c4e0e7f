/** Time comes from a clock object so tests can move it instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until told to move; for tests and the sandbox clock override. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(to: Date): void {
    this.current = to.getTime();
  }
}

/** The system clock plus an offset the sandbox can move forward (expiry and retries without waiting). */
export class OffsetClock implements Clock {
  private offsetMs: number;
  private readonly listeners = new Set<(offsetMs: number) => void>();
  constructor(offsetMs = 0) {
    this.offsetMs = offsetMs;
  }
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  get offset(): number {
    return this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
    for (const listener of this.listeners) listener(this.offsetMs);
  }
  /** Called with the new offset after each move (another process keeping the same time follows it). */
  onAdvance(listener: (offsetMs: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
