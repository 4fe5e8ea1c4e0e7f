/**
 * The public transaction vocabulary, one array each: the TypeScript types, the SQL CHECK constraints,
 * the API schemas and the operator tools all read these, so a new status is added in one place
 * (plus a migration that widens the CHECK on existing databases).
 */
export const TRANSACTION_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

export const TRANSACTION_TYPES = ['buy', 'sell'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];
