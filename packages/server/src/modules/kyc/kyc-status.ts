/** Where a user's identity verification stands; one array for the type, the SQL CHECK and the API schema. */
export const KYC_STATUSES = ['not_started', 'pending', 'verified', 'failed'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];
