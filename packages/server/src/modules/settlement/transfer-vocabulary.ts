/**
 * The settlement module's closed vocabularies for paying out a buy, one array each: the TypeScript
 * types, the SQL CHECK constraints and the admin API read these, so a new value is added in one place
 * (plus a migration that widens the CHECK on existing databases).
 */

/**
 * Where the crypto transfer of one buy stands (the machine is in transfer-machine.ts):
 * - `queued`: waiting for a nonce (the hot wallet may lack funds: then an alert is open);
 * - `reserved`: a nonce of the hot wallet is held for it (the funds were there); being signed. Nothing
 *   can have been sent: a crash here signs again with the same nonce;
 * - `signed`: the signed bytes and their hash are recorded with the nonce, nothing is known to be sent
 *   yet (a crash here is recovered by asking the chain, then sending the same bytes);
 * - `broadcast`: the node took the bytes; waiting to be mined;
 * - `mined`: in a block (recorded), waiting for the network's confirmation depth;
 * - `confirmed`: deep enough; the transaction completed with `crypto_delivered` (final);
 * - `refunding`: the transfer cannot succeed (reverted, or refused for good): the payment is being
 *   given back, then the transaction fails with `delivery_failed`;
 * - `failed`: refunded (asked) and the transaction failed (final).
 */
export const TRANSFER_STATUSES = ['queued', 'reserved', 'signed', 'broadcast', 'mined', 'confirmed', 'refunding', 'failed'] as const;
export type TransferIntentStatus = (typeof TRANSFER_STATUSES)[number];

/** Statuses the settlement worker still has work for. */
export const ACTIVE_TRANSFER_STATUSES = [
  'queued',
  'reserved',
  'signed',
  'broadcast',
  'mined',
  'refunding',
] as const satisfies readonly TransferIntentStatus[];

/**
 * Statuses whose amount the hot wallet has promised: signed or about to be, on their way to a block, or
 * in one that may still be undone. Their amounts may or may not show in the wallet's balance yet.
 */
export const OUTGOING_TRANSFER_STATUSES = ['reserved', 'signed', 'broadcast', 'mined'] as const satisfies readonly TransferIntentStatus[];

/** Statuses in which the transfer's signed bytes are recorded (`nonce`, `tx_hash` and `raw_tx` all set). */
export const SIGNED_TRANSFER_STATUSES = ['signed', 'broadcast', 'mined', 'confirmed'] as const satisfies readonly TransferIntentStatus[];

/** Why a transfer could not succeed (`failure` on the intent). */
export const TRANSFER_FAILURES = ['reverted', 'rejected'] as const;
export type TransferFailure = (typeof TRANSFER_FAILURES)[number];

/**
 * What an operator is told about (settlement_alerts.kind); docs/settlement.md says what to do with each:
 * - `insufficient_funds`: the hot wallet holds less of the asset than the transfer (with the ones on
 *   their way) needs; the transfer waits and is tried again;
 * - `chain_unavailable`: the node kept failing for a transfer (five rounds in a row); retried;
 * - `broadcast_refused`: the node refuses a transfer for now (the hot wallet cannot pay the network
 *   fee, another transaction holds its nonce in the pool); the same bytes are sent again later;
 * - `nonce_consumed`: a transaction the platform did not sign took a nonce one of its transfers held
 *   (someone else uses the hot wallet's key); the transfer is signed again once that is final;
 * - `transfer_failed`: a transfer was reverted or refused for good; its payment is refunded;
 * - `refund_failed`: a failed transfer's payment could not be refunded (none found, or the provider
 *   kept failing); the operator settles it by hand.
 */
export const ALERT_KINDS = [
  'insufficient_funds',
  'chain_unavailable',
  'broadcast_refused',
  'nonce_consumed',
  'transfer_failed',
  'refund_failed',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
