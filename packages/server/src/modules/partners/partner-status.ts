/** Whether a partner may transact; one array for the type, the SQL CHECK, the admin API and the CLI. */
export const PARTNER_STATUSES = ['active', 'disabled'] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];
