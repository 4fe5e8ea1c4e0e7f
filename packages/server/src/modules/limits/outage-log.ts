import type { Logger } from 'pino';

/**
 * Logs a rate-limit store's failures once per outage, and its recovery. A store that is down fails
 * every limited request (the request goes through uncounted), and a warning each would bury the log
 * under thousands of identical lines a minute; the repeats go to debug.
 */
export class OutageLog {
  private failing = false;
  private readonly logger: Logger;
  private readonly what: string;

  /** `what` names the caller in the log lines, e.g. "rate limit (widget)". */
  constructor(logger: Logger, what: string) {
    this.logger = logger;
    this.what = what;
  }

  /** The store failed `doing` something; the first failure of an outage is a warning. */
  failed(error: unknown, doing: string): void {
    if (this.failing) {
      this.logger.debug({ err: error }, `${this.what}: the store still does not answer (${doing})`);
      return;
    }
    this.failing = true;
    this.logger.warn(
      { err: error },
      `${this.what}: the store did not answer (${doing}); limited requests go through uncounted until it does`,
    );
  }

  /** The store answered: ends an outage, if one was under way. */
  answered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info(`${this.what}: the store answers again`);
  }
}
