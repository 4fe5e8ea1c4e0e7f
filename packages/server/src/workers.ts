import { WebhookWorker } from './modules/delivery/webhook-worker.ts';
import { expireTransactions } from './modules/transactions/expire-transactions.ts';
import type { Platform } from './platform.ts';

const EXPIRY_INTERVAL_MS = 30_000;

export interface BackgroundWork {
  webhooks: WebhookWorker;
  stop(): Promise<void>;
}

/** The jobs every node runs beside its HTTP server: webhook delivery and transaction expiry. */
export function startBackgroundWork(platform: Platform): BackgroundWork {
  const webhooks = new WebhookWorker(platform);
  webhooks.start();
  let stopped = false;
  let expiring: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout;
  // The next run is scheduled when the previous one ends, so runs never overlap.
  const scheduleExpiry = () => {
    timer = setTimeout(() => {
      expiring = expireTransactions(platform)
        .catch((error) => platform.logger.error({ err: error }, 'expiry job failed'))
        .finally(() => {
          if (!stopped) scheduleExpiry();
        });
    }, EXPIRY_INTERVAL_MS);
    timer.unref();
  };
  scheduleExpiry();
  return {
    webhooks,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await expiring;
      await webhooks.stop();
    },
  };
}
