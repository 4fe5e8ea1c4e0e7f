import { describe, expect, it } from 'vitest';
import { redactQueryToken } from './bootstrap.ts';
import { loadConfig } from './config.ts';

const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://db/proof',
  ADMIN_TOKEN: 'adm_x',
  SIGNING_SECRET: 's'.repeat(40),
  ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
  SANDBOX_TOOLS: 'false',
};

describe('configuration', () => {
  it('has safe development defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ mode: 'development', port: 8080, sandboxTools: true, webhookAllowPrivateTargets: true, initTokenTtlMs: 3_600_000 });
  });

  it('refuses what is unsafe in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('production mode needs DATABASE_URL, ADMIN_TOKEN, SIGNING_SECRET, ENCRYPTION_KEY');
    expect(() => loadConfig({ ...production, SANDBOX_TOOLS: 'true' })).toThrow('SANDBOX_TOOLS');
    expect(() => loadConfig({ ...production, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })).toThrow('WEBHOOK_ALLOW_PRIVATE_TARGETS');
    // With everything set it still refuses: only the sandbox rate provider exists so far.
    expect(() => loadConfig(production)).toThrow('sandbox rate provider');
  });

  it('says which setting is malformed', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow('PORT must be a whole number');
    expect(() => loadConfig({ INIT_TOKEN_TTL: 'soon' })).toThrow('INIT_TOKEN_TTL');
    expect(() => loadConfig({ TRUST_PROXY: 'maybe' })).toThrow('TRUST_PROXY must be true or false');
  });
});

describe('redactQueryToken', () => {
  it('hides the client token of the older WebSocket form and nothing else', () => {
    expect(redactQueryToken('/ws?user_id=u1&token=ct_secret')).toBe('/ws?user_id=u1&token=[redacted]');
    expect(redactQueryToken('/ws?token=ct_secret&user_id=u1')).toBe('/ws?token=[redacted]&user_id=u1');
    expect(redactQueryToken('/widget/transactions/abc')).toBe('/widget/transactions/abc');
  });
});
