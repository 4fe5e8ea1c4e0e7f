export { ProofRamp, type ProofRampOptions, type RequestOptions, type WaitOptions } from './client.ts';
export { type HostedSession, hostedWidgetUrl } from './hosted.ts';
export type { FetchLike, RetryOptions } from './http.ts';
export {
  type ErrorDetail,
  ProofRampError,
  ProofRampNetworkError,
  ProofRampSubscriptionError,
  ProofRampTimeoutError,
  ProofRampWebhookError,
} from './proof-ramp-error.ts';
export type { Subscription, SubscriptionEnd, SubscriptionOptions, SubscriptionTarget, UpdateInfo } from './subscribe.ts';
export type {
  KycState,
  KycStatus,
  SessionParams,
  SessionResponse,
  Transaction,
  TransactionStatus,
  TransactionType,
  TransactionUpdate,
  WebhookPayload,
  WebhookTestEvent,
} from './types.ts';
export { isTerminalStatus } from './types.ts';
export { verifyWebhook, type WebhookHeaders } from './webhooks.ts';
