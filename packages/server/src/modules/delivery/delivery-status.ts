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

/**
 * What started an attempt (Svix's trigger): `scheduled` (the first send and every retry of the
 * schedule) or `manual` (an operator's replay). Recorded on every attempt.
 */
export const ATTEMPT_TRIGGERS = ['scheduled', 'manual'] as const;
export type AttemptTrigger = (typeof ATTEMPT_TRIGGERS)[number];

/**
 * Why an endpoint was disabled: `failing` (every attempt failed for WEBHOOK_DISABLE_AFTER) or `gone`
 * (it answered 410 Gone). While disabled the partner's messages are kept and not sent.
 */
export const ENDPOINT_DISABLED_REASONS = ['failing', 'gone'] as const;
export type EndpointDisabledReason = (typeof ENDPOINT_DISABLED_REASONS)[number];
