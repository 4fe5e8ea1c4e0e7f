/**
 * The settlement module's service API for buys, in one place for its callers (the payments module's
 * capture, the admin routes). Each function lives in its own file; this one only gathers them. The
 * settlement worker (settlement-worker.ts) is started by workers.ts, not called through here.
 */

export { createTransferIntent } from './create-transfer-intent.ts';
export {
  type HotWalletView,
  hotWallets,
  listSettlementAlerts,
  listTransfers,
  resolveSettlementAlert,
  retryTransferNow,
} from './settlement-operations.ts';
export { ALERT_KINDS, type AlertKind, TRANSFER_STATUSES, type TransferIntentStatus } from './transfer-vocabulary.ts';
