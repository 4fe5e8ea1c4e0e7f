/**
 * The payments module's service API, in one place for its callers (the embed API, the callbacks
 * worker, settlement). Each function lives in its own file; this one only gathers them.
 */

export { type AnswerChallengeRequest, answerChallenge } from './answer-challenge.ts';
export { applyPaymentUpdate, type PaymentUpdateResult, UnknownPaymentError } from './apply-payment-update.ts';
export { paymentInFlight } from './payment-in-flight.ts';
export { PAYMENT_UPDATE, type PaymentUpdateEvent, type ThreeDsChallenge } from './payment-provider.ts';
export { type PaymentSource, type PaymentSourceInput, PaymentSourceSchema } from './payment-source.ts';
export { getPaymentState, type PaymentAttemptView, type PaymentState, PaymentStateSchema } from './payment-state.ts';
export { NoPaymentToRefundError, type RefundState, refundPayment } from './refund-payment.ts';
export { type StartPaymentRequest, startPayment } from './start-payment.ts';
