/**
 * Shapes of the partner API. The wire types are generated from the server's OpenAPI document
 * (generated/api-types.ts) and a test keeps them equal to what the server serves; this file only
 * names their parts. Amounts are decimal strings.
 */
import type { KycStatus, SessionParams, SessionResponse, Transaction, TransactionUpdate, WebhookTestEvent } from './generated/api-types.ts';

export type { KycStatus, SessionParams, SessionResponse, Transaction, TransactionUpdate, WebhookTestEvent };

export type TransactionType = Transaction['type'];
export type TransactionStatus = Transaction['status'];
export type KycState = KycStatus['status'];

/** Statuses that never change again. */
export const TERMINAL_STATUSES: ReadonlySet<TransactionStatus> = new Set(['completed', 'failed', 'cancelled']);

export function isTerminalStatus(status: string): boolean {
  return TERMINAL_STATUSES.has(status as TransactionStatus);
}

/** A verified webhook body: a transaction status change (the transaction's fields) or a test event. */
export type WebhookPayload = Transaction | WebhookTestEvent;
