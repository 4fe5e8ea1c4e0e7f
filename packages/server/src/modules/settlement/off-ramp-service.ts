/**
 * The off-ramp's service API (a sell: the user's crypto in, fiat out to a card), in one place for
 * its callers: sessions (deposit addresses), the embed API (payout card, sell state), the callbacks
 * worker (payout outcomes), workers.ts and the admin API. Each function lives in its own file.
 */

export { allocateDepositAddress, type DepositAddressRequest } from './allocate-deposit-address.ts';
export { applyPayoutUpdate, UnknownPayoutError } from './apply-payout-update.ts';
export { registerDepositAdminRoutes } from './deposit-admin-routes.ts';
export { hasLiveDeposit as depositArrived } from './off-ramp-store.ts';
export { type OffRampRound, OffRampWorker } from './off-ramp-worker.ts';
export { type PayoutCardInput, PayoutCardSchema } from './payout-card.ts';
export { PAYOUT_UPDATE, type PayoutUpdateEvent } from './payout-provider.ts';
export { type SavePayoutCardRequest, savePayoutCard } from './save-payout-card.ts';
export { getSellState, type SellState, SellStateSchema } from './sell-state.ts';
