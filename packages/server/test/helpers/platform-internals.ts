import type { PlatformOptions } from '../../src/bootstrap.ts';
import { SandboxKycProvider } from '../../src/modules/kyc/sandbox-kyc-provider.ts';
import { forgetCachedTokens as forgetTokensOf } from '../../src/modules/partners/token-cache.ts';
import { SandboxPaymentProvider } from '../../src/modules/payments/sandbox-payment-provider.ts';
import type { RateProvider } from '../../src/modules/pricing/rate-provider.ts';
import { SandboxPayoutProvider } from '../../src/modules/settlement/sandbox-payout-provider.ts';
import type { TestServer } from './test-platform.ts';

/**
 * The only place tests reach past a module's API into how the platform is put together: the token
 * cache, the derived keys, how a rate provider is handed to startPlatform. When that wiring
 * changes, these functions change and the tests that call them do not.
 */

/** Forgets every cached client token, so the next authentication reads the database. */
export function forgetCachedTokens(server: Pick<TestServer, 'platform'>): void {
  forgetTokensOf(server.platform);
}

/** The keys the platform derives from its signing secret: session signatures and init tokens. */
export function signingKeys(server: Pick<TestServer, 'platform'>): { sessionSignature: Buffer; initToken: Buffer } {
  return server.platform.keys;
}

/** startPlatform options that price with `rates` instead of the sandbox rates. */
export function withRateProvider(rates: RateProvider): PlatformOptions {
  return { providers: { rates } };
}

/** The server's sandbox KYC adapter (KYC_PROVIDER=sandbox): tests wait on its pending callbacks with `idle()`. */
export function kycSandbox(server: Pick<TestServer, 'platform'>): SandboxKycProvider {
  const kyc = server.platform.providers.kyc;
  if (!(kyc instanceof SandboxKycProvider)) throw new Error(`the KYC provider is ${kyc.name}, not the sandbox`);
  return kyc;
}

/** The server's sandbox payment adapter (PAYMENT_PROVIDER=sandbox): tests wait on its pending callbacks with `idle()`. */
export function paymentsSandbox(server: Pick<TestServer, 'platform'>): SandboxPaymentProvider {
  const payments = server.platform.providers.payments;
  if (!(payments instanceof SandboxPaymentProvider)) throw new Error(`the payment provider is ${payments.name}, not the sandbox`);
  return payments;
}

/** The server's sandbox payout adapter (PAYOUT_PROVIDER=sandbox): tests wait on its pending callbacks with `idle()`. */
export function payoutsSandbox(server: Pick<TestServer, 'platform'>): SandboxPayoutProvider {
  const payouts = server.platform.providers.payouts;
  if (!(payouts instanceof SandboxPayoutProvider)) throw new Error(`the payout provider is ${payouts.name}, not the sandbox`);
  return payouts;
}
