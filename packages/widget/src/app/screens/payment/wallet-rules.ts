/**
 * Apple Pay and Google Pay through the browser's Payment Request API: what the request asks for, and
 * the token the platform receives from what the wallet answers. Pure: wallets.ts makes the calls.
 */

export type WalletMethod = 'apple_pay' | 'google_pay';

export const WALLET_METHODS: readonly WalletMethod[] = ['apple_pay', 'google_pay'];

/** The payment method identifiers the browser knows these wallets by. */
export const WALLET_IDENTIFIERS: Record<WalletMethod, string> = {
  apple_pay: 'https://apple.com/apple-pay',
  google_pay: 'https://google.com/pay',
};

interface Price {
  fiat_amount: string;
  fiat_currency: string;
}

/**
 * The Payment Request's method data and details for one wallet and the locked price. The merchant
 * fields are the sandbox's: a production payment adapter that takes wallet payments brings its own
 * merchant identity (Apple Pay merchant id and validation, Google Pay gateway) with its configuration.
 */
export function walletRequest(method: WalletMethod, price: Price, label: string) {
  const data =
    method === 'apple_pay'
      ? {
          version: 3,
          merchantIdentifier: 'merchant.proof-ramp.sandbox',
          merchantCapabilities: ['supports3DS'],
          supportedNetworks: ['visa', 'masterCard', 'amex', 'discover'],
          countryCode: 'FR',
        }
      : {
          environment: 'TEST',
          apiVersion: 2,
          apiVersionMinor: 0,
          merchantInfo: { merchantName: 'Proof Ramp' },
          allowedPaymentMethods: [
            {
              type: 'CARD',
              parameters: {
                allowedAuthMethods: ['PAN_ONLY', 'CRYPTOGRAM_3DS'],
                allowedCardNetworks: ['VISA', 'MASTERCARD', 'AMEX', 'DISCOVER'],
              },
              tokenizationSpecification: { type: 'PAYMENT_GATEWAY', parameters: { gateway: 'proof-ramp', gatewayMerchantId: 'sandbox' } },
            },
          ],
        };
  return {
    methodData: [{ supportedMethods: WALLET_IDENTIFIERS[method], data }],
    details: { total: { label, amount: { currency: price.fiat_currency, value: price.fiat_amount } } },
  };
}

/** The longest token the platform accepts. */
export const MAX_TOKEN_LENGTH = 16_384;

/**
 * The token string posted to the platform from a wallet's PaymentResponse.details, or null when there
 * is none. A string is taken as it is; a `token` string too (the sandbox's `tok_sandbox_success`);
 * Google Pay's is paymentMethodData.tokenizationData.token; anything else (Apple Pay's token object)
 * is passed on as its JSON. The platform hands it to the payment adapter unread: a production adapter
 * must map its wallet's format onto its provider's call.
 */
export function walletToken(details: unknown): string | null {
  const token = pickToken(details);
  return token && token.length <= MAX_TOKEN_LENGTH ? token : null;
}

function pickToken(details: unknown): string | null {
  if (typeof details === 'string') return details || null;
  if (typeof details !== 'object' || details === null) return null;
  const record = details as Record<string, unknown>;
  if (typeof record.token === 'string') return record.token || null;
  const google = (record.paymentMethodData as { tokenizationData?: { token?: unknown } } | undefined)?.tokenizationData?.token;
  if (typeof google === 'string') return google || null;
  if (typeof record.token === 'object' && record.token !== null) return JSON.stringify(record.token);
  return JSON.stringify(details);
}
