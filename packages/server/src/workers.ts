import { CallbackWorker } from './modules/callbacks/callback-worker.ts';
import type { InboundEventHandler } from './modules/callbacks/inbound-event.ts';
import { purgeDeliveredBefore } from './modules/delivery/delivery-operations.ts';
import { WebhookWorker } from './modules/delivery/webhook-worker.ts';
import { applyKycDecision, KYC_DECISION, purgeExpiredDocuments } from './modules/kyc/kyc-service.ts';
import { applyPaymentUpdate, PAYMENT_UPDATE } from './modules/payments/payment-service.ts';
import { purgeExpiredKeys } from './modules/sessions/idempotency-store.ts';
import { applyPayoutUpdate, OffRampWorker, PAYOUT_UPDATE } from './modules/settlement/off-ramp-service.ts';
import { SettlementWorker } from './modules/settlement/settlement-worker.ts';
import { expireTransactions } from './modules/transactions/expire-transactions.ts';
import type { Platform } from './platform.ts';

const EXPIRY_INTERVAL_MS = 30_000;
const PURGE_INTERVAL_MS = 3_600_000;

export interface BackgroundWork {
  webhooks: WebhookWorker;
  callbacks: CallbackWorker;
  /** Sells: watches deposits into their addresses, decides them once confirmed, pays the fiat out. */
  offRamp: OffRampWorker;
  /** Sends the crypto of paid buys and follows it to its confirmation depth. */
  settlement: SettlementWorker;
  stop(): Promise<void>;
}

/** Which module applies each kind of provider event (the closed vocabularies of kyc, payments and payouts). */
export function providerEventHandlers(platform: Platform): Record<string, InboundEventHandler> {
  return {
    [KYC_DECISION]: (event) => applyKycDecision(platform, event),
    [PAYMENT_UPDATE]: async (event) => {
      await applyPaymentUpdate(platform, event);
    },
    [PAYOUT_UPDATE]: async (event) => {
      await applyPayoutUpdate(platform, event);
    },
  };
}

/**
 * Deletes what has outlived its purpose: replay windows of idempotency keys, old delivered webhooks,
 * identity documents past KYC_DOCUMENT_RETENTION.
 */
export async function purgeOldRecords(platform: Platform): Promise<{ idempotencyKeys: number; deliveries: number; kycDocuments: number }> {
  const now = platform.clock.now().getTime();
  return {
    idempotencyKeys: await purgeExpiredKeys(platform.db, new Date(now - platform.config.idempotencyTtlMs)),
    deliveries: await purgeDeliveredBefore(platform, new Date(now - platform.config.webhookRetentionMs)),
    kycDocuments: await purgeExpiredDocuments(platform, new Date(now - platform.config.kycDocumentRetentionMs)),
  };
}

/** The jobs every node runs beside its HTTP server: webhook delivery, provider callbacks, buy settlement, transaction expiry, purging. */
export function startBackgroundWork(platform: Platform): BackgroundWork {
  const webhooks = new WebhookWorker(platform);
  webhooks.start();
  const callbacks = new CallbackWorker(platform, providerEventHandlers(platform));
  callbacks.start();
  const offRamp = new OffRampWorker(platform);
  offRamp.start();
  const settlement = new SettlementWorker(platform);
  settlement.start();
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
  const purge = setInterval(() => {
    purgeOldRecords(platform).catch((error) => platform.logger.error({ err: error }, 'purge job failed'));
  }, PURGE_INTERVAL_MS);
  purge.unref();
  return {
    webhooks,
    callbacks,
    offRamp,
    settlement,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(purge);
      await expiring;
      await callbacks.stop();
      await offRamp.stop();
      await settlement.stop();
      await webhooks.stop();
    },
  };
}
