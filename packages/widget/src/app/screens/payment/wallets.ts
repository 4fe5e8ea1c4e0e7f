import { type WalletMethod, walletRequest, walletToken } from './wallet-rules.ts';

interface Price {
  fiat_amount: string;
  fiat_currency: string;
}

type Request = {
  canMakePayment(): Promise<boolean>;
  show(): Promise<{ details: unknown; complete(result?: 'success' | 'fail' | 'unknown'): Promise<void> }>;
  abort(): Promise<void>;
};

function newRequest(method: WalletMethod, price: Price, label: string): Request | null {
  const PaymentRequest = (globalThis as { PaymentRequest?: new (methods: unknown[], details: unknown) => Request }).PaymentRequest;
  if (typeof PaymentRequest !== 'function') return null;
  const { methodData, details } = walletRequest(method, price, label);
  return new PaymentRequest(methodData, details);
}

/**
 * Where a wallet can be offered through the Payment Request API at all: Apple Pay in Safari and the
 * other WebKit browsers (they define ApplePaySession), Google Pay in Chrome on Android (its payment
 * app). Elsewhere the browser would only fetch the wallet's payment method manifest from its site to
 * find nothing there (and the frame's CSP refuses that fetch), so it is not asked.
 */
function mayOffer(method: WalletMethod): boolean {
  const scope = globalThis as { ApplePaySession?: unknown; navigator?: { userAgent?: string } };
  if (method === 'apple_pay') return typeof scope.ApplePaySession === 'function';
  return /\bAndroid\b/.test(scope.navigator?.userAgent ?? '');
}

/**
 * Whether the browser offers this wallet here (the Payment Request API exists, the page may use it,
 * and the wallet says it can pay). Any refusal, exception or silence past 3 s counts as no.
 */
export async function walletAvailable(method: WalletMethod, price: Price, label: string): Promise<boolean> {
  try {
    if (!mayOffer(method)) return false;
    const request = newRequest(method, price, label);
    if (!request) return false;
    const silence = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000));
    return (await Promise.race([request.canMakePayment(), silence])) === true;
  } catch {
    return false;
  }
}

/**
 * Shows the wallet's sheet (call it straight from the click: it needs the user's gesture) and pays
 * with its token through `pay`, which answers whether the payment went through; the sheet is then
 * closed as a success or a failure. Null when the user closed the sheet or it gave no token.
 */
export async function payWithWallet(
  method: WalletMethod,
  price: Price,
  label: string,
  pay: (token: string) => Promise<boolean>,
): Promise<boolean | null> {
  let response: Awaited<ReturnType<Request['show']>>;
  try {
    const request = newRequest(method, price, label);
    if (!request) return null;
    response = await request.show();
  } catch {
    return null; // closed by the user, or refused by the browser
  }
  const token = walletToken(response.details);
  let paid = false;
  try {
    paid = token ? await pay(token) : false;
  } finally {
    try {
      await response.complete(paid ? 'success' : 'fail');
    } catch {
      // the sheet is gone already
    }
  }
  return token ? paid : null;
}
