import { expect, it } from 'vitest';
import { ProviderError } from '../../src/lib/provider-error.ts';
import { DEFAULT_NETWORK_FEES } from '../../src/modules/pricing/network-fees.ts';
import { SANDBOX_RATES, SandboxRateProvider } from '../../src/modules/pricing/sandbox-rate-provider.ts';
import { describeRateProvider } from './rates.ts';

describeRateProvider('sandbox', () => new SandboxRateProvider());

it('sandbox: the documented table, one rate for both sides', async () => {
  const sandbox = new SandboxRateProvider();
  expect(await sandbox.quote({ asset: 'USDT', network: 'TRC20', fiat: 'EUR', side: 'buy' })).toEqual({ rate: '0.92', networkFee: '1' });
  expect(await sandbox.quote({ asset: 'USDT', network: 'TRC20', fiat: 'EUR', side: 'sell' })).toEqual({ rate: '0.92', networkFee: '1' });
  expect(await sandbox.quote({ asset: 'BTC', network: 'BITCOIN', fiat: 'USD', side: 'buy' })).toEqual({
    rate: SANDBOX_RATES.BTC.USD,
    networkFee: DEFAULT_NETWORK_FEES.BITCOIN!.BTC,
  });
});

it('sandbox: NETWORK_FEES entries replace the default fee', async () => {
  const sandbox = new SandboxRateProvider({ networkFees: { ...DEFAULT_NETWORK_FEES, TRC20: { USDT: '2.5' } } });
  expect(await sandbox.quote({ asset: 'USDT', network: 'TRC20', fiat: 'EUR', side: 'buy' })).toEqual({ rate: '0.92', networkFee: '2.5' });
  const error = await new SandboxRateProvider({ networkFees: {} })
    .quote({ asset: 'USDT', network: 'TRC20', fiat: 'EUR', side: 'buy' })
    .catch((caught: unknown) => caught);
  expect(error).toMatchObject({ provider: 'sandbox', kind: 'rejected', retryable: false, message: 'no network fee for USDT on TRC20' });
  expect(error).toBeInstanceOf(ProviderError);
});
