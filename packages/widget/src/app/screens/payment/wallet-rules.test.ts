import { describe, expect, it } from 'vitest';
import { walletRequest, walletToken } from './wallet-rules.ts';

describe('wallet payments', () => {
  it('ask the wallet for the locked price under its method identifier', () => {
    const apple = walletRequest('apple_pay', { fiat_amount: '94.80', fiat_currency: 'EUR' }, 'Buy USDT');
    expect(apple.methodData[0]!.supportedMethods).toBe('https://apple.com/apple-pay');
    expect(apple.details.total).toEqual({ label: 'Buy USDT', amount: { currency: 'EUR', value: '94.80' } });
    const google = walletRequest('google_pay', { fiat_amount: '10.00', fiat_currency: 'USD' }, 'Buy BTC');
    expect(google.methodData[0]!.supportedMethods).toBe('https://google.com/pay');
    expect(google.details.total.amount).toEqual({ currency: 'USD', value: '10.00' });
  });

  it('pass on the token the wallet answers as a string', () => {
    expect(walletToken('tok_sandbox_success')).toBe('tok_sandbox_success');
    expect(walletToken({ token: 'tok_sandbox_success' })).toBe('tok_sandbox_success');
    expect(walletToken({ paymentMethodData: { tokenizationData: { type: 'PAYMENT_GATEWAY', token: '{"g":1}' } } })).toBe('{"g":1}');
    const apple = { token: { paymentData: { data: 'x' }, transactionIdentifier: 'T' } };
    expect(walletToken(apple)).toBe(JSON.stringify(apple.token));
    expect(walletToken({ other: 1 })).toBe('{"other":1}');
  });

  it('give no token for nothing, or for one the platform would refuse as too long', () => {
    expect(walletToken(undefined)).toBeNull();
    expect(walletToken(null)).toBeNull();
    expect(walletToken('')).toBeNull();
    expect(walletToken({ token: '' })).toBeNull();
    expect(walletToken('x'.repeat(16_385))).toBeNull();
  });
});
