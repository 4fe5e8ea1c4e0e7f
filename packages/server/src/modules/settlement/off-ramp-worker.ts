import { randomBase62 } from '../../lib/ids.ts';
import type { Platform } from '../../platform.ts';
import { sendDuePayouts } from './send-payouts.ts';
import { settleDeposits } from './settle-deposits.ts';
import { watchDeposits } from './watch-deposits.ts';

export interface OffRampRound {
  blocks: number;
  recorded: number;
  late: number;
  confirmed: number;
  reorged: number;
  processing: number;
  refused: number;
  payoutsSent: number;
}

/**
 * The off-ramp's background work, one round every DEPOSIT_POLL_INTERVAL on every node: read new
 * deposits and their depth (watch-deposits.ts), decide the sells whose deposits are confirmed
 * (settle-deposits.ts), send the payouts that are due (send-payouts.ts). What two nodes must not do
 * at once is leased in the database (a cursor per network and asset, each payout) or decided under
 * the transaction's row lock, so every node may run it. Rounds never overlap on one node.
 */
export class OffRampWorker {
  private readonly platform: Platform;
  /** Names this node's leases. */
  private readonly owner = `node_${randomBase62(12)}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<OffRampRound> | null = null;
  private stopped = true;

  constructor(platform: Platform) {
    this.platform = platform;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Runs rounds until one changes nothing; tests drive the worker with it instead of waiting. */
  async drain(): Promise<OffRampRound> {
    const total: OffRampRound = { blocks: 0, recorded: 0, late: 0, confirmed: 0, reorged: 0, processing: 0, refused: 0, payoutsSent: 0 };
    for (let rounds = 0; rounds < 50; rounds++) {
      const round = await this.round();
      for (const key of Object.keys(total) as (keyof OffRampRound)[]) total[key] += round[key];
      if (Object.values(round).every((count) => count === 0)) break;
    }
    return total;
  }

  /** One round; a round already under way on this node is waited for, then another runs. */
  round(): Promise<OffRampRound> {
    if (this.running) return this.running.catch(() => undefined).then(() => this.round());
    const run = (async () => {
      const watched = await watchDeposits(this.platform, { owner: this.owner });
      const settled = await settleDeposits(this.platform);
      const payoutsSent = await sendDuePayouts(this.platform);
      return { ...watched, ...settled, late: watched.late + settled.late, payoutsSent };
    })();
    this.running = run;
    void run
      .finally(() => {
        if (this.running === run) this.running = null;
      })
      .catch(() => undefined);
    return run;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.round()
        .catch((error) => this.platform.logger.error({ err: error }, 'off-ramp round failed'))
        .finally(() => this.schedule(this.platform.config.depositPollIntervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
