/**
 * Where a webhook delivery stands: `pending` (due, or waiting for its retry), `delivered` (a 2xx was
 * answered) or `failed` (retries exhausted; an operator may replay it). One array for the type, the
 * SQL CHECK, the admin API's filter and the CLI's.
 */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export function isDeliveryStatus(value: string): value is DeliveryStatus {
  return (DELIVERY_STATUSES as readonly string[]).includes(value);
}
