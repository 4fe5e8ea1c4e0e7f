/** Where a user's identity verification stands; one array for the type, the SQL CHECK and the API schema. */
export const KYC_STATUSES = ['not_started', 'pending', 'verified', 'failed'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];

/**
 * Where one submission stands at the provider. `pending` and `in_review` are open; the other three
 * are final (a later callback for the submission changes nothing).
 */
export const VERIFICATION_STATUSES = ['pending', 'in_review', 'verified', 'rejected', 'resubmit_requested'] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];
export const FINAL_VERIFICATION_STATUSES: ReadonlySet<VerificationStatus> = new Set(['verified', 'rejected', 'resubmit_requested']);
