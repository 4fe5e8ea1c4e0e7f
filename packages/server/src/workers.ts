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
  let expiring: Promise<unknown> = Promise.resolve();
  const expiry = setInterval(() => {
    expiring = expireTransactions(platform).catch((error) => platform.logger.error({ err: error }, 'expiry job failed'));
  }, EXPIRY_INTERVAL_MS);
  expiry.unref();
  return {
    webhooks,
    async stop() {
      clearInterval(expiry);
      await expiring;
      await webhooks.stop();
    },
  };
}
