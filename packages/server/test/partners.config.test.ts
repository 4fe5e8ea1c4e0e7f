import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveSandboxAddress } from '../src/lib/address.ts';
import { expectError, type HttpResult } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * What a partner's configuration must make possible, checked through the admin API (the CLI shares
 * the same operations): a configuration under which no session could ever be created is refused at
 * creation and update, naming the JSON field; one where only some asset cannot be bought is accepted
 * with `warnings`.
 */

const TRON_WALLET = deriveSandboxAddress('tron', createHash('sha256').update('partners config test wallet').digest());

/** A partner that can transact: one wallet, buy only. */
const VALID = {
  name: 'Config Partner',
  contact_email: 'ops@config.example',
  origins: ['https://config.example'],
  assets: [{ currency: 'USDT', network: 'TRC20', address: TRON_WALLET }],
};

describe('partner configuration', () => {
  const server = useServerWithPartner();
  const create = (body: Record<string, unknown>) => server.admin('/partners', { method: 'POST', body });
  const update = (id: string, body: Record<string, unknown>) => server.admin(`/partners/${id}`, { method: 'PATCH', body });
  const expectRefused = (result: HttpResult, field: string, issue: string | RegExp) => {
    const body = expectError(result, 400, 'invalid_request', 'validation_error');
    expect(body.details).toEqual([{ field, issue: expect.stringMatching(issue) }]);
    expect(body.message).toContain(field);
  };

  describe('refused when no session could ever be created', () => {
    it.each([
      ['no asset at all', { assets: [] }, 'assets', /^at least one asset is required/],
      ['no asset given', { assets: undefined }, 'assets', /^at least one asset is required/],
      [
        'no wallet, no partner-supplied addresses and no selling',
        {
          assets: [
            { currency: 'USDT', network: 'TRC20' },
            { currency: 'BTC', network: 'BITCOIN', address: null },
          ],
        },
        'assets',
        /^no asset has a wallet, allow_partner_address is off and sell is off/,
      ],
      [
        'a default fiat outside the fiat list',
        { fiat_currencies: ['EUR', 'USD'], default_fiat: 'GBP' },
        'default_fiat',
        /^GBP is not in fiat_currencies \(EUR, USD\)/,
      ],
      ['limits of 0–0', { limits: { EUR: { min: '0', max: '0' } } }, 'limits.EUR', /^the minimum \(0\) must be below the maximum \(0\)/],
      ['a minimum equal to the maximum', { limits: { USD: { min: '100', max: '100.00' } } }, 'limits.USD', /must be below the maximum/],
      ['a minimum above the maximum', { limits: { EUR: { min: '500', max: '100' } } }, 'limits.EUR', /must be below the maximum/],
      ['a percentage fee of 100 %', { fees: { percent: '100' } }, 'fees.percent', /^must be below 50/],
      ['a negative percentage fee', { fees: { percent: '-1' } }, 'fees.percent', /^not a decimal/],
      [
        'a fixed fee as large as the largest amount allowed',
        { fees: { fixed: { EUR: '10000' } } },
        'fees.fixed.EUR',
        /^10000 EUR is not below the EUR maximum \(10000\)/,
      ],
      [
        'a fixed fee above the partner’s own maximum',
        { limits: { EUR: { min: '10', max: '50' } }, fees: { fixed: { EUR: '60' } } },
        'fees.fixed.EUR',
        /^60 EUR is not below the EUR maximum \(50\)/,
      ],
    ])('%s', async (_why, overrides, field, issue) => {
      const before = (await server.admin('/partners')).body.partners.length;
      expectRefused(await create({ ...VALID, ...overrides }), field, issue);
      expect((await server.admin('/partners')).body.partners).toHaveLength(before);
    });

    it.each([
      ['an unknown currency', { currency: 'XXX', network: 'TRC20' }, 'assets.1.currency', /^unknown currency XXX/],
      ['an unknown network', { currency: 'USDT', network: 'MOON' }, 'assets.1.network', /^unknown network MOON/],
      ['a currency not on that network', { currency: 'BTC', network: 'TRC20' }, 'assets.1.network', /^BTC is not available on TRC20/],
      ['the same pair twice', { currency: 'usdt', network: 'trc20' }, 'assets.1.network', /^USDT:TRC20 is listed twice/],
      [
        'a wallet that is no address',
        { currency: 'USDT', network: 'ERC20', address: '0x123' },
        'assets.1.address',
        /^USDT:ERC20 wallet 0x123/,
      ],
    ])('an asset entry with %s is named by its JSON field', async (_why, second, field, issue) => {
      expectRefused(await create({ ...VALID, assets: [...VALID.assets, second] }), field, issue);
    });

    it('the same on update, and the stored configuration stays as it was', async () => {
      const created = await create({ ...VALID, fiat_currencies: ['EUR', 'USD'] });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id = created.body.partner_id;
      expectRefused(await update(id, { assets: [] }), 'assets', /^at least one asset is required/);
      expectRefused(await update(id, { assets: [{ currency: 'USDT', network: 'ERC20' }] }), 'assets', /^no asset has a wallet/);
      // Dropping the default fiat from the list without naming another default is refused, not silently undone.
      expectRefused(await update(id, { fiat_currencies: ['USD'] }), 'default_fiat', /^EUR is not in fiat_currencies \(USD\)/);
      expectRefused(await update(id, { limits: { EUR: { min: '0', max: '0' } } }), 'limits.EUR', /must be below the maximum/);
      expectRefused(await update(id, { fees: { fixed: { USD: '20000' } } }), 'fees.fixed.USD', /is not below the USD maximum/);
      const shown = (await server.admin(`/partners/${id}`)).body;
      expect(shown).toMatchObject({
        assets: [{ currency: 'USDT', network: 'TRC20', address: TRON_WALLET }],
        fiat_currencies: ['EUR', 'USD'],
      });
      expect(shown).toMatchObject({ default_fiat: 'EUR', limits: {}, fees: { percent: '0', fixed: {} } });

      const changed = await update(id, { fiat_currencies: ['USD'], default_fiat: 'USD' });
      expect(changed.status, JSON.stringify(changed.body)).toBe(200);
      expect(changed.body).toMatchObject({ fiat_currencies: ['USD'], default_fiat: 'USD' });
    });

    it('a default fiat given alone is the fiat list', async () => {
      const created = await create({ ...VALID, default_fiat: 'USD' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ fiat_currencies: ['USD'], default_fiat: 'USD' });
    });
  });

  describe('accepted with warnings when some asset cannot be bought', () => {
    it('says which asset has no wallet while the partner may not supply addresses', async () => {
      const created = await create({ ...VALID, assets: [...VALID.assets, { currency: 'USDT', network: 'ERC20' }] });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.warnings).toEqual([
        'USDT on ERC20 has no wallet and allow_partner_address is off: buying it answers 400 WALLET_NOT_SUPPORTED, and selling is off',
      ]);
      const buy = await server.createSession(undefined, { token: created.body.client_token });
      expect(buy.status, JSON.stringify(buy.body)).toBe(200);
    });

    it('a partner that only sells an asset is warned that it cannot be bought', async () => {
      const created = await create({ ...VALID, assets: [{ currency: 'BTC', network: 'BITCOIN' }], sell: true });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.warnings).toEqual([
        'BTC on BITCOIN has no wallet and allow_partner_address is off: buying it answers 400 WALLET_NOT_SUPPORTED (it can still be sold)',
      ]);
    });

    it('answers the warnings of the configuration as updated', async () => {
      const created = await create(VALID);
      expect(created.body.warnings).toEqual([]);
      const updated = await update(created.body.partner_id, { assets: [...VALID.assets, { currency: 'USDC', network: 'ERC20' }] });
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
      expect(updated.body.warnings).toEqual([expect.stringMatching(/^USDC on ERC20 has no wallet/)]);
    });

    it('gives none when the partner supplies addresses itself, or every asset has a wallet', async () => {
      const own = await create({ ...VALID, assets: [{ currency: 'USDT', network: 'ERC20' }], allow_partner_address: true });
      expect(own.status, JSON.stringify(own.body)).toBe(201);
      expect(own.body.warnings).toEqual([]);
      expect((await create(VALID)).body.warnings).toEqual([]);
    });
  });
});

describe('webhook URLs delivery would refuse (WEBHOOK_ALLOW_PRIVATE_TARGETS=false, as in production)', () => {
  const server = useServerWithPartner({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' } });
  const create = (webhookUrl: string) => server.admin('/partners', { method: 'POST', body: { ...VALID, webhook_url: webhookUrl } });
  const blocked = (target: string) =>
    `${target}, a private, loopback or link-local address: webhooks are only delivered to public addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS is off)`;

  it.each([
    ['an IPv4 loopback literal', 'http://127.0.0.1:9/hooks', blocked('127.0.0.1 resolves to 127.0.0.1')],
    ['an IPv6 loopback literal', 'http://[::1]:9/hooks', blocked('::1 resolves to ::1')],
    ['a private network address', 'https://10.1.2.3/hooks', blocked('10.1.2.3 resolves to 10.1.2.3')],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data', blocked('169.254.169.254 resolves to 169.254.169.254')],
    ['a name that resolves to loopback', 'http://localhost:9/hooks', /^localhost resolves to (127\.0\.0\.1|::1), a private/],
  ])('refuses %s when the partner is created, and when it is updated', async (_why, url, issue) => {
    const refused = expectError(await create(url), 400, 'invalid_request', 'validation_error');
    expect(refused.details).toEqual([{ field: 'webhook_url', issue: typeof issue === 'string' ? issue : expect.stringMatching(issue) }]);

    const partner = await create('https://93.184.216.34/hooks');
    expect(partner.status, JSON.stringify(partner.body)).toBe(201);
    const id = partner.body.partner_id;
    const update = await server.admin(`/partners/${id}`, { method: 'PATCH', body: { webhook_url: url } });
    expect(expectError(update, 400, 'invalid_request', 'validation_error').details[0].field).toBe('webhook_url');
    expect((await server.admin(`/partners/${id}`)).body.webhook_url).toBe('https://93.184.216.34/hooks');
  });

  it('accepts a public address, and leaves an unchanged URL alone on update', async () => {
    const partner = await create('https://93.184.216.34/hooks');
    expect(partner.status).toBe(201);
    const renamed = await server.admin(`/partners/${partner.body.partner_id}`, { method: 'PATCH', body: { name: 'Renamed' } });
    expect(renamed.status).toBe(200);
  });
});

describe('webhook URLs with WEBHOOK_ALLOW_PRIVATE_TARGETS=true (development)', () => {
  const server = useServerWithPartner();

  it('accepts a loopback receiver', async () => {
    const created = await server.admin('/partners', { method: 'POST', body: { ...VALID, webhook_url: 'http://127.0.0.1:9/hooks' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  });
});
