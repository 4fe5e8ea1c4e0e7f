import { describe, expect, it } from 'vitest';
import { redactQueryToken } from './bootstrap.ts';
import { loadConfig } from './config.ts';

const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://db/proof',
  ADMIN_TOKEN: 'adm_4Hq9TzLw2VbR7nXe0KsYp3MdJ6cFgA1u',
  SIGNING_SECRET: 's'.repeat(40),
  ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
  SANDBOX_TOOLS: 'false',
  RATE_PROVIDER: 'kraken',
};

describe('configuration', () => {
  it('has safe development defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: 'development',
      port: 8080,
      sandboxTools: true,
      webhookAllowPrivateTargets: true,
      initTokenTtlMs: 3_600_000,
    });
    expect(config).toMatchObject({ rateProvider: 'sandbox', depositAddressProvider: 'sandbox' });
    expect(config).toMatchObject({
      kycProvider: 'sandbox',
      sandboxKycDelayMs: 3_000,
      kycMaxUploadBytes: 10 * 1024 * 1024,
      kycDocumentRetentionMs: 90 * 86_400_000,
    });
    // Unset live-rate settings stay unset: the adapter's own settings schema holds their defaults.
    expect(config.rates).toEqual({
      krakenApiUrl: undefined,
      timeoutMs: undefined,
      cacheTtlMs: undefined,
      maxAgeMs: undefined,
      networkFees: undefined,
    });
  });

  it('starts in production with documented settings: live rates, and no deposit addresses unless configured', () => {
    const config = loadConfig(production);
    expect(config).toMatchObject({
      mode: 'production',
      rateProvider: 'kraken',
      depositAddressProvider: 'none',
      kycProvider: 'none',
      sandboxTools: false,
      webhookAllowPrivateTargets: false,
    });
  });

  it('reads the rate provider settings', () => {
    const config = loadConfig({
      RATE_PROVIDER: 'kraken',
      KRAKEN_API_URL: 'http://127.0.0.1:9000',
      RATES_TIMEOUT: '1500ms',
      RATES_CACHE_TTL: '5s',
      RATES_MAX_AGE: '2m',
      NETWORK_FEES: '{"TRC20":{"USDT":"1.5"},"BITCOIN":{"BTC":"0.0001"}}',
    });
    expect(config.rates).toMatchObject({ krakenApiUrl: 'http://127.0.0.1:9000', timeoutMs: 1_500, cacheTtlMs: 5_000, maxAgeMs: 120_000 });
    // Entries override the default table one by one; the others keep their documented default.
    expect(config.rates.networkFees).toMatchObject({
      TRC20: { USDT: '1.5' },
      BITCOIN: { BTC: '0.0001' },
      ERC20: { USDT: '3', USDC: '3', ETH: '0.0005' },
    });
    expect(loadConfig({ DEPOSIT_ADDRESS_PROVIDER: 'none' }).depositAddressProvider).toBe('none');
  });

  it('refuses rate and deposit address settings it cannot use', () => {
    expect(() => loadConfig({ RATE_PROVIDER: 'coingecko' })).toThrow('RATE_PROVIDER must be one of sandbox, kraken, got "coingecko"');
    expect(() => loadConfig({ DEPOSIT_ADDRESS_PROVIDER: 'ledger' })).toThrow('DEPOSIT_ADDRESS_PROVIDER must be one of sandbox, hd, none');
    expect(() => loadConfig({ DEPOSIT_ADDRESS_PROVIDER: 'hd' })).toThrow(
      'DEPOSIT_ADDRESS_PROVIDER=hd needs DEPOSIT_XPUB (or DEPOSIT_XPUB_EVM, DEPOSIT_XPUB_TRON, DEPOSIT_XPUB_BITCOIN)',
    );
    expect(() => loadConfig({ KRAKEN_API_URL: 'api.kraken.com' })).toThrow('KRAKEN_API_URL must be an http(s) URL');
    expect(() => loadConfig({ RATES_TIMEOUT: 'fast' })).toThrow('RATES_TIMEOUT');
    expect(() => loadConfig({ RATES_CACHE_TTL: '2m', RATES_MAX_AGE: '1m' })).toThrow(
      'RATES_MAX_AGE must not be shorter than RATES_CACHE_TTL',
    );
    expect(() => loadConfig({ NETWORK_FEES: 'TRC20=1' })).toThrow('NETWORK_FEES: must be JSON');
    expect(() => loadConfig({ NETWORK_FEES: '{"TRON":{"USDT":"1"}}' })).toThrow('NETWORK_FEES: unknown network "TRON"');
    expect(() => loadConfig({ NETWORK_FEES: '{"TRC20":{"BTC":"1"}}' })).toThrow('NETWORK_FEES: BTC does not travel on TRC20');
    expect(() => loadConfig({ NETWORK_FEES: '{"TRC20":{"USDT":1}}' })).toThrow('NETWORK_FEES: TRC20.USDT must be a decimal string');
    expect(() => loadConfig({ NETWORK_FEES: '{"TRC20":{"USDT":"0.0000001"}}' })).toThrow(
      'NETWORK_FEES: TRC20.USDT must have at most 6 decimal places',
    );
  });

  it('reads HD deposit addresses: a key for every family or one per family, accepted in production', () => {
    expect(
      loadConfig({
        DEPOSIT_ADDRESS_PROVIDER: 'hd',
        DEPOSIT_XPUB: 'xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2cfDfVxdx4df189oLKnC5fSwqPfgyP3hooxujYzAu3fDVmz',
      }),
    ).toMatchObject({
      depositAddressProvider: 'hd',
      depositXpubs: {
        all: 'xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2cfDfVxdx4df189oLKnC5fSwqPfgyP3hooxujYzAu3fDVmz',
        evm: undefined,
        tron: undefined,
        bitcoin: undefined,
      },
    });
    expect(loadConfig({ DEPOSIT_ADDRESS_PROVIDER: 'hd', DEPOSIT_XPUB_TRON: 'xpub-of-tron' }).depositXpubs).toEqual({
      all: undefined,
      evm: undefined,
      tron: 'xpub-of-tron',
      bitcoin: undefined,
    });
    expect(
      loadConfig({
        ...production,
        DEPOSIT_ADDRESS_PROVIDER: 'hd',
        DEPOSIT_XPUB: 'xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2cfDfVxdx4df189oLKnC5fSwqPfgyP3hooxujYzAu3fDVmz',
      }).depositAddressProvider,
    ).toBe('hd');
  });

  it('reads the payment settings: the sandbox in development, none in production, which refuses the sandbox', () => {
    expect(loadConfig({})).toMatchObject({ paymentProvider: 'sandbox', paymentMaxAttempts: 5, sandboxPaymentDelayMs: 2_000 });
    expect(loadConfig({ PAYMENT_MAX_ATTEMPTS: '3', SANDBOX_PAYMENT_DELAY: '0' })).toMatchObject({
      paymentMaxAttempts: 3,
      sandboxPaymentDelayMs: 0,
    });
    expect(loadConfig({ PAYMENT_PROVIDER: 'none' }).paymentProvider).toBe('none');
    expect(() => loadConfig({ PAYMENT_PROVIDER: 'stripe' })).toThrow('PAYMENT_PROVIDER must be one of sandbox, none, got "stripe"');
    expect(() => loadConfig({ PAYMENT_MAX_ATTEMPTS: '0' })).toThrow('PAYMENT_MAX_ATTEMPTS must be from 1 to 20');
    expect(() => loadConfig({ PAYMENT_MAX_ATTEMPTS: 'five' })).toThrow('PAYMENT_MAX_ATTEMPTS must be a whole number');
    expect(loadConfig(production).paymentProvider).toBe('none');
    expect(() => loadConfig({ ...production, PAYMENT_PROVIDER: 'sandbox' })).toThrow(
      'production mode refuses PAYMENT_PROVIDER=sandbox: it takes no money and lets test cards through',
    );
  });

  it('reads the off-ramp settings: the payout sandbox in development, none in production, which refuses the sandbox', () => {
    expect(loadConfig({})).toMatchObject({
      payoutProvider: 'sandbox',
      sandboxPayoutDelayMs: 2_000,
      depositPollIntervalMs: 10_000,
      lateDepositWatchMs: 7 * 86_400_000,
    });
    expect(
      loadConfig({ PAYOUT_PROVIDER: 'none', SANDBOX_PAYOUT_DELAY: '0', DEPOSIT_POLL_INTERVAL: '3s', LATE_DEPOSIT_WATCH: '30d' }),
    ).toMatchObject({
      payoutProvider: 'none',
      sandboxPayoutDelayMs: 0,
      depositPollIntervalMs: 3_000,
      lateDepositWatchMs: 30 * 86_400_000,
    });
    expect(() => loadConfig({ PAYOUT_PROVIDER: 'visa-direct' })).toThrow('PAYOUT_PROVIDER must be one of sandbox, none, got "visa-direct"');
    expect(loadConfig(production).payoutProvider).toBe('none');
    expect(() => loadConfig({ ...production, PAYOUT_PROVIDER: 'sandbox' })).toThrow(
      'production mode refuses PAYOUT_PROVIDER=sandbox: it pays nothing out and lets test cards through',
    );
  });

  it('refuses what is unsafe in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      'production mode needs DATABASE_URL, ADMIN_TOKEN, SIGNING_SECRET, ENCRYPTION_KEY',
    );
    expect(() => loadConfig({ ...production, SANDBOX_TOOLS: 'true' })).toThrow('SANDBOX_TOOLS');
    expect(() => loadConfig({ ...production, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })).toThrow('WEBHOOK_ALLOW_PRIVATE_TARGETS');
    // Sandbox adapters are refused, whether chosen explicitly or left at their development default.
    expect(() => loadConfig({ ...production, RATE_PROVIDER: undefined })).toThrow(
      'production mode refuses the sandbox rate provider: set RATE_PROVIDER=kraken',
    );
    expect(() => loadConfig({ ...production, RATE_PROVIDER: 'sandbox' })).toThrow('sandbox rate provider');
    expect(() => loadConfig({ ...production, DEPOSIT_ADDRESS_PROVIDER: 'sandbox' })).toThrow(
      'production mode refuses DEPOSIT_ADDRESS_PROVIDER=sandbox',
    );
    expect(() => loadConfig({ ...production, KYC_PROVIDER: 'sandbox' })).toThrow('production mode refuses KYC_PROVIDER=sandbox');
    // Identity documents and PII are sealed with ENCRYPTION_KEY: production never generates one for itself.
    expect(() => loadConfig({ ...production, ENCRYPTION_KEY: undefined })).toThrow('production mode needs ENCRYPTION_KEY');
    expect(() => loadConfig({ ...production, ENCRYPTION_KEY: '' })).toThrow('production mode needs ENCRYPTION_KEY');
  });

  it('bounds the status changes made at once to a fifth of the pool unless told otherwise', () => {
    expect(loadConfig({}).statusChangeConcurrency).toBe(2);
    expect(loadConfig({ DATABASE_POOL_SIZE: '30' }).statusChangeConcurrency).toBe(6);
    expect(loadConfig({ DATABASE_POOL_SIZE: '4' }).statusChangeConcurrency).toBe(1);
    expect(loadConfig({ DATABASE_POOL_SIZE: '30', STATUS_CHANGE_CONCURRENCY: '4' }).statusChangeConcurrency).toBe(4);
    expect(() => loadConfig({ STATUS_CHANGE_CONCURRENCY: '0' })).toThrow('STATUS_CHANGE_CONCURRENCY must be at least 1');
    expect(() => loadConfig({ STATUS_CHANGE_CONCURRENCY: 'all' })).toThrow('STATUS_CHANGE_CONCURRENCY must be a whole number');
  });

  it('reads the KYC settings, and refuses ones it cannot use', () => {
    const config = loadConfig({
      KYC_PROVIDER: 'none',
      SANDBOX_KYC_DELAY: '0',
      KYC_MAX_UPLOAD_BYTES: '5000000',
      KYC_DOCUMENT_RETENTION: '30d',
    });
    expect(config).toMatchObject({
      kycProvider: 'none',
      sandboxKycDelayMs: 0,
      kycMaxUploadBytes: 5_000_000,
      kycDocumentRetentionMs: 30 * 86_400_000,
    });
    expect(() => loadConfig({ KYC_PROVIDER: 'onfido' })).toThrow('KYC_PROVIDER must be one of sandbox, none, got "onfido"');
    expect(() => loadConfig({ KYC_MAX_UPLOAD_BYTES: '0' })).toThrow('KYC_MAX_UPLOAD_BYTES must be at least 1');
    expect(() => loadConfig({ KYC_MAX_UPLOAD_BYTES: '10MB' })).toThrow('KYC_MAX_UPLOAD_BYTES must be a whole number');
    expect(() => loadConfig({ KYC_DOCUMENT_RETENTION: 'forever' })).toThrow('KYC_DOCUMENT_RETENTION');
    expect(() => loadConfig({ SANDBOX_KYC_DELAY: 'soon' })).toThrow('SANDBOX_KYC_DELAY');
  });

  it('refuses a weak ADMIN_TOKEN in every mode: at least 32 characters, no blanks, not one character repeated', () => {
    // Development generates a strong one when ADMIN_TOKEN is unset, so only a deliberately weak value is refused.
    expect(loadConfig({}).adminToken).toBeUndefined();
    for (const env of [{}, production]) {
      for (const weak of ['a', 'adm_short_token', 'x'.repeat(64), 'ab'.repeat(20), `${'adm_4Hq9TzLw2VbR7nXe0'} ${'KsYp3MdJ6cFgA1u'}`]) {
        expect(() => loadConfig({ ...env, ADMIN_TOKEN: weak })).toThrow(
          'ADMIN_TOKEN must be at least 32 characters without spaces, with at least 10 different ones (e.g. openssl rand -base64 32)',
        );
      }
      expect(loadConfig({ ...env, ADMIN_TOKEN: production.ADMIN_TOKEN }).adminToken).toBe(production.ADMIN_TOKEN);
    }
  });

  it('says which setting is malformed', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow('PORT must be a whole number');
    expect(() => loadConfig({ INIT_TOKEN_TTL: 'soon' })).toThrow('INIT_TOKEN_TTL');
    expect(() => loadConfig({ TRUST_PROXY: 'maybe' })).toThrow('TRUST_PROXY must be false, a number of proxies');
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow('"10.0.0.0/33" is none of these');
  });

  it('reads REDIS_URL, and refuses one that is not a Redis URL without repeating it (it may hold a password)', () => {
    expect(loadConfig({})).toMatchObject({ redisUrl: undefined, redisKeyPrefix: 'proof:' });
    expect(loadConfig({ REDIS_URL: 'redis://:s3cret@redis.internal:6379/2', REDIS_KEY_PREFIX: 'staging:' })).toMatchObject({
      redisUrl: 'redis://:s3cret@redis.internal:6379/2',
      redisKeyPrefix: 'staging:',
    });
    expect(loadConfig({ REDIS_URL: 'rediss://redis.internal' }).redisUrl).toBe('rediss://redis.internal');
    for (const wrong of ['http://:s3cret@redis.internal:6379', 'redis.internal:6379', 'redis://:s3cret@']) {
      expect(() => loadConfig({ REDIS_URL: wrong })).toThrow('REDIS_URL must be a redis:// or rediss:// URL with a host');
      expect(() => loadConfig({ REDIS_URL: wrong })).not.toThrow('s3cret');
    }
  });

  it('reads TRUST_PROXY as off, a hop count or a list of proxies, and refuses "trust everything" in production', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.7' }).trustProxy).toEqual(['10.0.0.0/8', '192.0.2.7']);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/proof',
      ADMIN_TOKEN: 'adm_4Hq9TzLw2VbR7nXe0KsYp3MdJ6cFgA1u',
      SIGNING_SECRET: 's'.repeat(32),
      ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
      RATE_PROVIDER: 'kraken',
    };
    expect(() => loadConfig({ ...production, TRUST_PROXY: 'true' })).toThrow('production mode refuses TRUST_PROXY=true');
    expect(loadConfig({ ...production, TRUST_PROXY: '1' }).trustProxy).toBe(1);
  });

  it('reads METRICS_PORT and METRICS_HOST: unset serves /metrics on PORT behind the admin token', () => {
    expect(loadConfig({})).toMatchObject({ metricsPort: undefined, metricsHost: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })).toMatchObject({ metricsPort: 9464, metricsHost: '0.0.0.0' });
    expect(() => loadConfig({ METRICS_PORT: 'prom' })).toThrow('METRICS_PORT must be a whole number');
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow('METRICS_PORT must be from 1 to 65535');
    expect(() => loadConfig({ METRICS_PORT: '0' })).toThrow('METRICS_PORT must be from 1 to 65535');
    expect(() => loadConfig({ PORT: '9000', METRICS_PORT: '9000' })).toThrow('METRICS_PORT must differ from PORT');
    expect(() => loadConfig({ METRICS_PORT: '9464', METRICS_HOST: 'a host' })).toThrow('METRICS_HOST must be an address or a host name');
  });
});

describe('redactQueryToken', () => {
  it('hides the client token of the older WebSocket form and nothing else', () => {
    expect(redactQueryToken('/ws?user_id=u1&token=ct_secret')).toBe('/ws?user_id=u1&token=[redacted]');
    expect(redactQueryToken('/ws?token=ct_secret&user_id=u1')).toBe('/ws?token=[redacted]&user_id=u1');
    expect(redactQueryToken('/widget/transactions/abc')).toBe('/widget/transactions/abc');
  });
});
