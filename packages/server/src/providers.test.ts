import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { systemClock } from './lib/clock.ts';
import { buildProviders, callbackSources } from './providers.ts';

const context = (env: Record<string, string>) => ({ config: loadConfig(env), clock: systemClock, signingSecret: 's'.repeat(40) });

describe('buildProviders', () => {
  it('builds the sandbox adapters by default in development', () => {
    const providers = buildProviders(context({}));
    expect(providers.rates.name).toBe('sandbox');
    expect(providers.depositAddresses.name).toBe('sandbox');
    expect(providers.kyc.name).toBe('sandbox-kyc');
  });

  it('builds what configuration names, and keeps adapters a test passes in', () => {
    const providers = buildProviders(context({ RATE_PROVIDER: 'kraken', DEPOSIT_ADDRESS_PROVIDER: 'none', KYC_PROVIDER: 'none' }));
    expect(providers.rates.name).toBe('kraken');
    expect(providers.depositAddresses.name).toBe('none');
    expect(providers.kyc.name).toBe('none');
    const rates = { name: 'test', quote: async () => ({ rate: '1', networkFee: '0' }) };
    expect(buildProviders(context({ RATE_PROVIDER: 'kraken' }), { rates }).rates).toBe(rates);
  });

  it('builds the payment adapter PAYMENT_PROVIDER names; the sandbox is a callback source', () => {
    const sandbox = context({});
    expect(buildProviders(sandbox).payments.name).toBe('sandbox-payments');
    expect(buildProviders(context({ PAYMENT_PROVIDER: 'none' })).payments.name).toBe('no-payments');
    expect(callbackSources(buildProviders(sandbox)).map((source) => source.name)).toContain('sandbox-payments');
  });

  it('builds HD deposit addresses from DEPOSIT_XPUB, and stops the start on a private or broken key, naming the setting only', async () => {
    const xpub = 'xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2cfDfVxdx4df189oLKnC5fSwqPfgyP3hooxujYzAu3fDVmz';
    const hd = buildProviders(context({ DEPOSIT_ADDRESS_PROVIDER: 'hd', DEPOSIT_XPUB: xpub })).depositAddresses;
    expect(hd.name).toBe('hd');
    expect(await hd.allocate({ transactionId: 't', index: 0, currency: 'USDT', network: 'ERC20' })).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const xprv = 'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi';
    const refused = () => buildProviders(context({ DEPOSIT_ADDRESS_PROVIDER: 'hd', DEPOSIT_XPUB: xpub, DEPOSIT_XPUB_TRON: xprv }));
    expect(refused).toThrow('DEPOSIT_XPUB_TRON is a private key (xprv)');
    try {
      refused();
    } catch (error) {
      expect((error as Error).message).not.toContain(xprv.slice(4, 40));
    }
    expect(() => buildProviders(context({ DEPOSIT_ADDRESS_PROVIDER: 'hd', DEPOSIT_XPUB: 'xpub-typo' }))).toThrow(
      'DEPOSIT_XPUB is not an extended public key',
    );
  });

  it('builds the payout adapter PAYOUT_PROVIDER names; the sandbox is a callback source', () => {
    const sandbox = context({});
    expect(buildProviders(sandbox).payouts.name).toBe('sandbox-payouts');
    expect(buildProviders(context({ PAYOUT_PROVIDER: 'none' })).payouts.name).toBe('no-payouts');
    expect(callbackSources(buildProviders(sandbox)).map((source) => source.name)).toContain('sandbox-payouts');
  });

  it('stops the start when a live adapter’s settings are unusable', () => {
    expect(() => buildProviders(context({ RATE_PROVIDER: 'kraken', RATES_MAX_AGE: '5s' }))).toThrow(
      'maxAgeMs must not be shorter than /cacheTtlMs',
    );
    expect(() => buildProviders(context({ RATE_PROVIDER: 'kraken', RATES_TIMEOUT: '0s' }))).toThrow('/timeoutMs');
  });
});
