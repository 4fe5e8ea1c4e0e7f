import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ERRORS } from '../src/lib/errors.ts';
import { ProviderError } from '../src/lib/provider-error.ts';
import { sandboxPartnerInput } from '../src/modules/partners/sandbox-partner.ts';
import { SandboxRateProvider } from '../src/modules/pricing/sandbox-rate-provider.ts';
import { forgetCachedTokens, withRateProvider } from './helpers/platform-internals.ts';
import { runCommonRouteTests } from './helpers/run-common-route-tests.ts';
import { expectError, type HttpResult, type PartnerCredentials, request, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Every row of the spec's error table that can be reached today, through real HTTP.
 * Not reachable yet: session_already_used (needs the widget's use of init_token), internal_error
 * (only for faults of ours; the "never for bad input" half is checked below). upstream_unavailable,
 * upstream_invalid_response and the 500 of a broken adapter are in sessions.providers.test.ts.
 */

const JSON_TYPE = { 'content-type': 'application/json' };

function expectValidation(result: HttpResult, field: string, issue?: string | RegExp) {
  const body = expectError(result, 400, 'invalid_request', 'validation_error');
  expectDetail(body, field, issue);
  return body;
}

function expectDetail(body: { details?: unknown }, field: string, issue?: string | RegExp) {
  expect(Array.isArray(body.details), JSON.stringify(body)).toBe(true);
  const details = body.details as Array<{ field: unknown; issue: unknown }>;
  for (const detail of details) {
    expect(typeof detail.field).toBe('string');
    expect(typeof detail.issue).toBe('string');
    expect(detail.issue).not.toBe('');
  }
  const match = details.find((detail) => String(detail.field).toLowerCase() === field.toLowerCase());
  expect(match, `no detail for ${field} in ${JSON.stringify(details)}`).toBeDefined();
  if (typeof issue === 'string') expect(match!.issue).toBe(issue);
  else if (issue) expect(match!.issue).toMatch(issue);
}

/** Any documented 4xx in the documented shape; never a 500 for bad input. */
function expectClientError(result: HttpResult, label: string) {
  const context = `${label}: ${result.status} ${JSON.stringify(result.body)}`;
  expect(result.status, context).toBeGreaterThanOrEqual(400);
  expect(result.status, context).toBeLessThan(500);
  const row = API_ERRORS[result.body?.code as keyof typeof API_ERRORS];
  expect(row, context).toBeDefined();
  expect(expectError(result, row.status, row.error, result.body.code).code).toBe(result.body.code);
}

describe('session errors on the default server', () => {
  const server = useServerWithPartner();

  const createSession = (body: unknown, options: { token?: string; headers?: Record<string, string> } = {}) =>
    server.createSession(body, options);
  const postRaw = (rawBody: string | Uint8Array<ArrayBuffer>, headers: Record<string, string>) =>
    server.request('/widget/session', { method: 'POST', rawBody, headers });
  const get = (path: string, token?: string) => server.request(path, { token });

  describe('validation_error', () => {
    it('rejects an unknown field and names it', async () => {
      expectValidation(await createSession(sessionBody({ colour: 'blue' })), 'colour', 'is not a known field');
    });

    it.each([
      ['amount as a JSON number', { amount: 100 }, 'amount', 'must be string or null'],
      ['amount as an array', { amount: ['100'] }, 'amount', 'must be string or null'],
      ['amount as an object', { amount: { $gt: '' } }, 'amount', 'must be string or null'],
      ['partner_user_id as a number', { partner_user_id: 42 }, 'partner_user_id', 'must be string'],
      ['type in capitals', { type: 'BUY' }, 'type', 'must be one of: buy, sell'],
      ['empty partner_user_id', { partner_user_id: '' }, 'partner_user_id', 'must NOT have fewer than 1 characters'],
    ])('rejects %s', async (_label, overrides, field, issue) => {
      expectValidation(await createSession(sessionBody(overrides)), field, issue);
    });

    const NOT_DECIMAL = 'must be a positive decimal string such as "100" or "99.50"';
    it.each([
      ['negative', '-5', NOT_DECIMAL],
      ['zero', '0', 'must be greater than zero'],
      ['zero with decimals', '0.000', 'must be greater than zero'],
      ['exponent notation', '1e3', NOT_DECIMAL],
      ['a leading plus', '+5', NOT_DECIMAL],
      ['a leading zero', '0100', NOT_DECIMAL],
      ['a missing integer part', '.5', NOT_DECIMAL],
      ['a comma', '1,5', NOT_DECIMAL],
      ['hexadecimal', '0x10', NOT_DECIMAL],
      ['surrounding spaces', ' 100 ', NOT_DECIMAL],
      ['NaN', 'NaN', NOT_DECIMAL],
      ['an emoji', '💯', NOT_DECIMAL],
      ['full-width digits', '１００', NOT_DECIMAL],
      ['more than 6 places for USDT', '1.1234567', 'must have at most 6 decimal places'],
    ])('rejects an amount with %s', async (_label, amount, issue) => {
      expectValidation(await createSession(sessionBody({ amount })), 'amount', issue);
    });

    it('rejects more than 8 decimal places for BTC, and the same check applies to crypto_amount and fiat_amount', async () => {
      const btc = { currency: 'BTC', network: 'BITCOIN' };
      expectValidation(await createSession(sessionBody({ ...btc, amount: '0.123456789' })), 'amount', 'must have at most 8 decimal places');
      expectValidation(
        await createSession(sessionBody({ ...btc, amount: undefined, crypto_amount: '0.123456789' })),
        'crypto_amount',
        'must have at most 8 decimal places',
      );
      expectValidation(
        await createSession(sessionBody({ amount: undefined, fiat_amount: '10.001' })),
        'fiat_amount',
        'must have at most 2 decimal places',
      );
      // The same digits within the asset's precision are fine.
      expect((await createSession(sessionBody({ ...btc, amount: '0.00123456' }))).status).toBe(200);
    });

    it.each([
      'partner_user_id',
      'user_email',
      'currency',
      'network',
      'amount',
      'fiat_currency',
      'redirect_url',
      'client_ip',
      'address',
      'merchant_transaction_id',
    ])('rejects a 10,000-character %s', async (field) => {
      expectValidation(await createSession(sessionBody({ [field]: 'a'.repeat(10_000) })), field);
    });

    it('rejects a NUL character in partner_user_id, and control characters in every other text field', async () => {
      expectValidation(
        await createSession(sessionBody({ partner_user_id: 'user\u0000x' })),
        'partner_user_id',
        'contains characters that are not allowed',
      );
      for (const field of [
        'currency',
        'network',
        'fiat_currency',
        'client_ip',
        'address',
        'merchant_transaction_id',
        'amount',
        'user_email',
      ]) {
        expectValidation(await createSession(sessionBody({ [field]: `a\u0000b` })), field);
      }
      expectValidation(
        await createSession(sessionBody({ partner_user_id: 'line\nbreak' })),
        'partner_user_id',
        'contains characters that are not allowed',
      );
    });

    it('rejects emoji where the format forbids it, and accepts them in a free-form user id', async () => {
      expectValidation(
        await createSession(sessionBody({ merchant_transaction_id: 'order-💥' })),
        'merchant_transaction_id',
        'contains characters that are not allowed',
      );
      expectValidation(await createSession(sessionBody({ user_email: '🙂@example.com' })), 'user_email');
      // Unicode user ids are legitimate: stored and returned unchanged.
      const created = await createSession(sessionBody({ partner_user_id: 'ユーザー🙂' }));
      expect(created.status).toBe(200);
      const read = await get(`/widget/transactions/${created.body.merchant_transaction_id}`);
      expect(read.body.partner_user_id).toBe('ユーザー🙂');
    });

    it.each(['not-an-email', 'a@', '@example.com', 'two words@example.com', 'a@@example.com'])(
      'rejects the email %j',
      async (user_email) => {
        expectValidation(await createSession(sessionBody({ user_email })), 'user_email');
      },
    );

    it.each(['999.1.1.1', '127.1', '01.2.3.4', '1.2.3.4/24', 'localhost', '::g', '1.2.3.４'])(
      'rejects the client_ip %j',
      async (client_ip) => {
        expectValidation(await createSession(sessionBody({ client_ip })), 'client_ip', 'must be an IPv4 or IPv6 address');
      },
    );

    it('rejects a redirect_url that is not http(s)', async () => {
      for (const redirect_url of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'not a url']) {
        expectValidation(await createSession(sessionBody({ redirect_url })), 'redirect_url');
      }
      expect((await createSession(sessionBody({ redirect_url: 'https://partner.example/done' }))).body.redirect_url).toBe(
        'https://partner.example/done',
      );
    });

    it('rejects a redirect_url carrying credentials', async () => {
      for (const redirect_url of [
        'https://user:pass@partner.example/done',
        'https://user@partner.example/',
        'http://:pass@partner.example/',
      ]) {
        expectValidation(await createSession(sessionBody({ redirect_url })), 'redirect_url', 'must not carry credentials');
      }
    });

    it('refuses an address from a partner that may not supply one, instead of quietly using its wallet', async () => {
      // The seeded partner has wallets configured and may not supply addresses.
      for (const type of ['buy', 'sell']) {
        for (const address of ['TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 'not-an-address']) {
          const body = expectValidation(
            await createSession(sessionBody({ type, address })),
            'address',
            'this partner may not supply addresses; omit it to use the configured wallet',
          );
          expect(body.message).toBe('address: this partner may not supply addresses; omit it to use the configured wallet');
        }
      }
      // null means "not set", as for every optional field.
      expect((await createSession(sessionBody({ address: null }))).status).toBe(200);
    });

    it('refuses an address on a sell even from a partner that may supply addresses: the platform allocates the deposit address', async () => {
      const own = await server.createPartner({ allow_partner_address: true });
      const body = expectValidation(
        await createSession(sessionBody({ type: 'sell', address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' }), { token: own.client_token }),
        'address',
        'a sell deposits to an address the platform allocates per transaction; omit address',
      );
      expect(body.message).toContain('address:');
      expect((await createSession(sessionBody({ type: 'sell' }), { token: own.client_token })).status).toBe(200);
    });

    // Each of these is invisible or reorders what a person reads, so two ids that look alike would
    // be different users (or one id would impersonate another in a log or the admin API).
    it.each([
      ['a C1 control character (NEL)', '\u0085'],
      ['a C1 control character (CSI)', '\u009b'],
      ['a right-to-left override', '\u202e'],
      ['a left-to-right embedding', '\u202a'],
      ['a first-strong isolate', '\u2068'],
      ['a pop directional isolate', '\u2069'],
      ['a left-to-right mark', '\u200e'],
      ['a right-to-left mark', '\u200f'],
      ['an Arabic letter mark', '\u061c'],
      ['a zero-width space', '\u200b'],
      ['a zero-width non-joiner', '\u200c'],
      ['a zero-width joiner', '\u200d'],
      ['a word joiner', '\u2060'],
      ['a byte order mark', '\ufeff'],
    ])('rejects %s in ids and other text fields', async (_label, character) => {
      for (const field of ['partner_user_id', 'currency', 'network', 'fiat_currency', 'client_ip', 'address']) {
        expectValidation(
          await createSession(sessionBody({ [field]: `a${character}b` })),
          field,
          'contains characters that are not allowed',
        );
      }
      expectValidation(
        await createSession(sessionBody({ partner_user_id: character })),
        'partner_user_id',
        'contains characters that are not allowed',
      );
    });

    it.each([' ', '   ', '\u00a0', '\u3000', ' \u2003 '])('rejects the whitespace-only partner_user_id %j', async (partner_user_id) => {
      expectValidation(
        await createSession(sessionBody({ partner_user_id })),
        'partner_user_id',
        'contains characters that are not allowed',
      );
    });

    it('rejects a \\u escape that leaves a lone surrogate, which would be stored as U+FFFD and merge user ids', async () => {
      const withUserId = (escaped: string) => JSON.stringify(sessionBody({ partner_user_id: '@' })).replace('"@"', `"${escaped}"`);
      for (const escaped of ['user-\\ud800', 'user-\\uDBFF', 'user-\\udc00', '\\ud800\\u0041', 'user-\\ude42\\ud83d']) {
        expectValidation(
          await postRaw(withUserId(escaped), JSON_TYPE),
          'partner_user_id',
          'contains a lone surrogate (a \\uD800–\\uDFFF escape without its pair)',
        );
      }
      // An escaped pair is one character, stored as such.
      const paired = await postRaw(withUserId('user-\\ud83d\\ude42'), JSON_TYPE);
      expect(paired.status).toBe(200);
      expect((await get(`/widget/transactions/${paired.body.merchant_transaction_id}`)).body.partner_user_id).toBe('user-🙂');
    });

    it('rejects a key given twice instead of keeping the last value', async () => {
      const valid = JSON.stringify(sessionBody()).slice(1, -1);
      const twice = expectValidation(await postRaw(`{${valid},"amount":"200"}`, JSON_TYPE), 'amount', 'appears more than once');
      expect(twice.message).toBe('amount: appears more than once');
      // However the second one is spelt.
      expectValidation(await postRaw(`{${valid},"\\u0061mount":"200"}`, JSON_TYPE), 'amount', 'appears more than once');
      expectValidation(await postRaw(`{"partner_user_id":"a",${valid}}`, JSON_TYPE), 'partner_user_id', 'appears more than once');
      // Inside a nested value, named by its path.
      expectValidation(await postRaw(`{${valid},"extra":[{"a":1},{"a":1,"a":2}]}`, JSON_TYPE), 'extra.1.a', 'appears more than once');
    });

    it('rejects a crypto amount together with fiat_amount', async () => {
      const issue = 'send either a crypto amount or fiat_amount, not both';
      expectValidation(await createSession(sessionBody({ amount: '100', fiat_amount: '50' })), 'fiat_amount', issue);
      expectValidation(
        await createSession(sessionBody({ amount: undefined, crypto_amount: '100', fiat_amount: '50' })),
        'fiat_amount',
        issue,
      );
    });

    it('rejects amount and crypto_amount that differ, and accepts them when equal', async () => {
      expectValidation(
        await createSession(sessionBody({ amount: '100', crypto_amount: '200' })),
        'crypto_amount',
        'is another name for amount; send one of them',
      );
      const same = await createSession(sessionBody({ amount: '100', crypto_amount: '100' }));
      expect(same.status).toBe(200);
      expect(same.body.amount).toBe('100');
    });

    it('rejects an invalid Idempotency-Key header', async () => {
      const issue = 'must be 1–255 printable ASCII characters';
      expectValidation(await createSession(sessionBody(), { headers: { 'idempotency-key': 'k'.repeat(300) } }), 'Idempotency-Key', issue);
      expectValidation(await createSession(sessionBody(), { headers: { 'idempotency-key': 'has space' } }), 'Idempotency-Key', issue);
      expectValidation(await createSession(sessionBody(), { headers: { 'idempotency-key': 'clé' } }), 'Idempotency-Key', issue);
      expect((await createSession(sessionBody(), { headers: { 'idempotency-key': 'k'.repeat(255) } })).status).toBe(200);
    });
  });

  describe('decode_error', () => {
    it.each([
      ['malformed JSON', '{"partner_user_id": "u",'],
      ['single quotes', "{'partner_user_id': 'u'}"],
      ['trailing garbage', '{} x'],
      ['whitespace only', '   '],
    ])('rejects %s', async (_label, rawBody) => {
      expectError(await postRaw(rawBody, JSON_TYPE), 400, 'invalid_request', 'decode_error');
    });

    it('refuses a body that is not UTF-8 instead of reading U+FFFD, which would make two user ids one', async () => {
      const [head, tail] = JSON.stringify(sessionBody({ partner_user_id: 'user-@' })).split('@') as [string, string];
      const sequences = [
        [0xff],
        [0xfe],
        [0x80], // a continuation byte alone
        [0xe2, 0x82], // a truncated sequence
        [0xc0, 0xaf], // an overlong "/"
        [0xed, 0xa0, 0x80], // a surrogate, encoded
        [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      ];
      for (const bytes of sequences) {
        const rawBody = Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]);
        const body = expectError(await postRaw(rawBody, JSON_TYPE), 400, 'invalid_request', 'decode_error');
        expect(body.message).toBe('The body is not valid UTF-8.');
      }
      expectError(await get(`/widget/users/${encodeURIComponent('user-\ufffd')}/kyc-status`), 404, 'not_found', 'not_found');
      // The same characters, validly encoded, are fine.
      expect((await postRaw(Buffer.from(JSON.stringify(sessionBody({ partner_user_id: 'user-€' }))), JSON_TYPE)).status).toBe(200);
    });

    it('rejects an empty body sent as JSON', async () => {
      const body = expectError(await postRaw('', JSON_TYPE), 400, 'invalid_request', 'decode_error');
      expect(body.message).toBe('The body is empty; send a JSON object.');
    });

    it('rejects a URL that does not percent-decode, in the documented shape', async () => {
      expectError(await get('/widget/transactions/%FF'), 400, 'invalid_request', 'decode_error');
    });
  });

  describe('missing_param', () => {
    it.each(['partner_user_id', 'user_email', 'currency'])('names a missing %s', async (field) => {
      const body = expectError(await createSession(sessionBody({ [field]: undefined })), 400, 'invalid_request', 'missing_param');
      expectDetail(body, field, 'is required');
    });

    it('uses the default network when network is omitted: the first listed, or the one marked', async () => {
      const omitted = await createSession(sessionBody({ network: undefined }));
      expect(omitted.status).toBe(200);
      expect(omitted.body.network).toBe('TRC20');
      const assets = sandboxPartnerInput('http://localhost:8080').assets!.map((asset) => ({
        ...asset,
        is_default: asset.network === 'ERC20',
      }));
      const marked = await server.createPartner({ assets });
      const chosen = await createSession(sessionBody({ network: null }), { token: marked.client_token });
      expect(chosen.status).toBe(200);
      expect(chosen.body.network).toBe('ERC20');
    });

    // The admin API always makes one network per currency the default (the first listed unless one
    // is marked), so "network omitted without a default" cannot be configured. A stored config that
    // predates that rule (written straight to the database here) must still get missing_param.
    it('asks for network when the stored config has no default network for the currency', async () => {
      const legacy = await server.createPartner();
      const row = await server.platform.db
        .selectFrom('partners')
        .select('config')
        .where('id', '=', legacy.partner_id)
        .executeTakeFirstOrThrow();
      const config = typeof row.config === 'string' ? JSON.parse(row.config) : row.config;
      config.assets = config.assets.map((asset: Record<string, unknown>) => ({ ...asset, is_default: false }));
      await server.platform.db
        .updateTable('partners')
        .set({ config: JSON.stringify(config) })
        .where('id', '=', legacy.partner_id)
        .execute();
      forgetCachedTokens(server);
      const body = expectError(
        await createSession(sessionBody({ network: undefined }), { token: legacy.client_token }),
        400,
        'invalid_request',
        'missing_param',
      );
      expectDetail(body, 'network', 'is required');
    });
  });

  describe('currency_not_allowed', () => {
    it('refuses a currency the partner has not enabled (known or not)', async () => {
      for (const currency of ['ETH', 'DOGE', '💰']) {
        const body = expectError(
          await createSession(sessionBody({ currency, network: undefined })),
          400,
          'invalid_request',
          'currency_not_allowed',
        );
        expectDetail(body, 'currency', 'enabled: USDT, BTC');
      }
    });

    it('refuses a network the partner has not enabled for the currency', async () => {
      for (const network of ['POLYGON', 'BITCOIN', 'NOPE']) {
        const body = expectError(await createSession(sessionBody({ network })), 400, 'invalid_request', 'currency_not_allowed');
        expectDetail(body, 'network', 'enabled for USDT: TRC20, ERC20, BEP20');
      }
    });

    it('refuses a fiat currency the partner has not enabled, for buy and for sell', async () => {
      const buy = expectError(await createSession(sessionBody({ fiat_currency: 'GBP' })), 400, 'invalid_request', 'currency_not_allowed');
      expectDetail(buy, 'fiat_currency', 'enabled: EUR, USD');
      expectError(await createSession(sessionBody({ fiat_currency: 'XYZ' })), 400, 'invalid_request', 'currency_not_allowed');
      const sellEurOnly = await server.createPartner({ sell_fiat_currencies: ['EUR'] });
      const sell = expectError(
        await createSession(sessionBody({ type: 'sell', fiat_currency: 'USD' }), { token: sellEurOnly.client_token }),
        400,
        'invalid_request',
        'currency_not_allowed',
      );
      expectDetail(sell, 'fiat_currency', 'enabled: EUR');
    });
  });

  describe('amount_out_of_range', () => {
    let limited: PartnerCredentials;
    beforeAll(async () => {
      limited = await server.createPartner({ limits: { EUR: { min: '10', max: '1000' } } });
    });
    const attempt = (overrides: Record<string, unknown>) => createSession(sessionBody(overrides), { token: limited.client_token });

    it.each([
      ['a fiat amount below the minimum', { amount: undefined, fiat_amount: '9.99' }, 'fiat_amount', 'worth 9.99 EUR; allowed 10–1000'],
      [
        'a fiat amount above the maximum',
        { amount: undefined, fiat_amount: '1000.01' },
        'fiat_amount',
        'worth 1000.01 EUR; allowed 10–1000',
      ],
      // 1 USDT at 0.92: 0.92 + 0.92 network fee + 0.02 (1.5 %) + 0.50 fixed.
      ['a crypto amount worth too little', { amount: '1' }, 'amount', 'worth 2.36 EUR; allowed 10–1000'],
      // 2000 USDT: 1840 + 0.92 + 27.60 + 0.50.
      ['a crypto amount worth too much', { amount: '2000' }, 'amount', 'worth 1869.02 EUR; allowed 10–1000'],
    ])('refuses %s', async (_label, overrides, field, issue) => {
      const body = expectError(await attempt(overrides), 400, 'invalid_request', 'amount_out_of_range');
      expect(body.message).toBe('The amount must be between 10 and 1000 EUR.');
      expectDetail(body, field, issue);
    });

    it('accepts both bounds', async () => {
      expect((await attempt({ amount: undefined, fiat_amount: '10' })).body.fiat_amount).toBe('10.00');
      expect((await attempt({ amount: undefined, fiat_amount: '1000' })).body.fiat_amount).toBe('1000.00');
    });

    it('applies the default limits (10–10000) to a fiat without partner limits, even for absurd amounts', async () => {
      const body = expectError(
        await attempt({ fiat_currency: 'USD', amount: '9'.repeat(64) }),
        400,
        'invalid_request',
        'amount_out_of_range',
      );
      expect(body.message).toBe('The amount must be between 10 and 10000 USD.');
      expectError(
        await createSession(sessionBody({ amount: undefined, fiat_amount: '0.01' })),
        400,
        'invalid_request',
        'amount_out_of_range',
      );
    });
  });

  describe('WALLET_NOT_SUPPORTED', () => {
    it('refuses a buy of an asset enabled without a wallet, while a sell of it gets a deposit address', async () => {
      const noWallet = await server.createPartner({ assets: [{ currency: 'USDT', network: 'TRC20', address: null }] });
      const buy = expectError(
        await createSession(sessionBody(), { token: noWallet.client_token }),
        400,
        'wallet_not_supported',
        'WALLET_NOT_SUPPORTED',
      );
      expect(buy.message).toBe('No active wallet for USDT on TRC20.');
      const sell = await createSession(sessionBody({ type: 'sell' }), { token: noWallet.client_token });
      expect(sell.status).toBe(200);
      expect(sell.body.address).toMatch(/^T[1-9A-HJ-NP-Za-km-z]{33}$/);
    });
  });

  runCommonRouteTests(server, {
    name: 'POST /widget/session',
    method: 'POST',
    path: '/widget/session',
    body: sessionBody(),
    anotherPartner: (result, caller) => expect(result.body.widget_id).toBe(caller.widget_id),
  });

  describe('forbidden_origin / forbidden_ip / offramp_disabled', () => {
    it.each([
      'https://evil.example',
      'null',
      'http://localhost:8081',
      'https://localhost:8080',
      'http://localhost:8080@evil.example',
      'http://localhost:8080.evil.example',
    ])('refuses the unregistered Origin %j', async (origin) => {
      expectError(await createSession(sessionBody(), { headers: { origin } }), 403, 'forbidden', 'forbidden_origin');
    });

    it('refuses a source IP outside the allowlist (the test client is 127.0.0.1), and admits one inside', async () => {
      const fenced = await server.createPartner({ ip_allowlist: ['203.0.113.0/24'] });
      expectError(await createSession(sessionBody(), { token: fenced.client_token }), 403, 'forbidden', 'forbidden_ip');
      expectError(await get('/widget/transactions/anything', fenced.client_token), 403, 'forbidden', 'forbidden_ip');
      const loopback = await server.createPartner({ ip_allowlist: ['127.0.0.0/8'] });
      expect((await createSession(sessionBody(), { token: loopback.client_token })).status).toBe(200);
    });

    it('refuses a sell when off-ramp is disabled for the partner', async () => {
      const buyOnly = await server.createPartner({ sell: false });
      const body = expectError(
        await createSession(sessionBody({ type: 'sell' }), { token: buyOnly.client_token }),
        403,
        'forbidden',
        'offramp_disabled',
      );
      expect(body.message).toBe('Selling crypto (off-ramp) is not enabled for this partner.');
      expect((await createSession(sessionBody({ type: 'buy' }), { token: buyOnly.client_token })).status).toBe(200);
    });
  });

  describe('not_found', () => {
    it('answers 404 for an unknown transaction, an unknown user and an unknown route', async () => {
      expect(expectError(await get('/widget/transactions/no-such-order'), 404, 'not_found', 'not_found').message).toBe(
        'No such transaction.',
      );
      expectError(await get(`/widget/transactions/${randomUUID()}`), 404, 'not_found', 'not_found');
      expect(expectError(await get('/widget/users/nobody/kyc-status'), 404, 'not_found', 'not_found').message).toBe('No such user.');
      expectError(await get('/widget/nope'), 404, 'not_found', 'not_found');
      expectError(await request(`${server.url}/nope`), 404, 'not_found', 'not_found');
    });

    it('answers 405 with Allow for a known path asked with another method', async () => {
      const wrongMethod = await get('/widget/session');
      expectError(wrongMethod, 405, 'invalid_request', 'method_not_allowed');
      expect(wrongMethod.headers.get('allow')).toBe('POST');
    });
  });

  describe('idempotency_key_reused', () => {
    it('replays the same Idempotency-Key with the same body, and refuses it with another body', async () => {
      const headers = { 'idempotency-key': 'idem-error-1' };
      const first = await createSession(sessionBody({ amount: '100' }), { headers });
      expect(first.status).toBe(200);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      // Same fields in another order: the same request.
      const reordered = Object.fromEntries(Object.entries(sessionBody({ amount: '100' })).reverse());
      const again = await createSession(reordered, { headers });
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      const body = expectError(await createSession(sessionBody({ amount: '101' }), { headers }), 409, 'conflict', 'idempotency_key_reused');
      expect(body.message).toBe('This Idempotency-Key was already used with a different request body.');
    });

    it('replays the same merchant_transaction_id with the same body, and refuses it with another body', async () => {
      const first = await createSession(sessionBody({ merchant_transaction_id: 'order-err-42' }));
      expect(first.status).toBe(200);
      expect(first.body.merchant_transaction_id).toBe('order-err-42');
      const again = await createSession(sessionBody({ merchant_transaction_id: 'order-err-42' }));
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.signature).toBe(first.body.signature);
      const body = expectError(
        await createSession(sessionBody({ merchant_transaction_id: 'order-err-42', amount: '150' })),
        409,
        'conflict',
        'idempotency_key_reused',
      );
      expect(body.message).toBe('This merchant_transaction_id was already used with a different request body.');
    });

    it('keeps no record of a failed request, so the key can be used again with a corrected body', async () => {
      const headers = { 'idempotency-key': 'idem-error-2' };
      expectError(
        await createSession(sessionBody({ currency: 'ETH', network: 'ERC20' }), { headers }),
        400,
        'invalid_request',
        'currency_not_allowed',
      );
      expect((await createSession(sessionBody(), { headers })).status).toBe(200);
    });
  });

  describe('body_too_large / unsupported_media_type', () => {
    it('refuses a body over 64 KiB with 413', async () => {
      const rawBody = JSON.stringify(sessionBody({ partner_user_id: 'x'.repeat(64 * 1024) }));
      expect(rawBody.length).toBeGreaterThan(64 * 1024);
      expectError(await postRaw(rawBody, JSON_TYPE), 413, 'invalid_request', 'body_too_large');
    });

    it.each([
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
    ])('refuses a %s body with 415', async (contentType) => {
      const result = await postRaw(JSON.stringify(sessionBody()), { 'content-type': contentType });
      expect(expectError(result, 415, 'invalid_request', 'unsupported_media_type').message).toBe('Send the body as application/json.');
    });

    it.each(['application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json;charset="iso-8859-1"'])(
      'refuses JSON declared in another charset (%s) with 415',
      async (contentType) => {
        const result = await postRaw(JSON.stringify(sessionBody()), { 'content-type': contentType });
        expect(expectError(result, 415, 'invalid_request', 'unsupported_media_type').message).toBe(
          'Send the body as application/json in UTF-8.',
        );
      },
    );

    it('accepts JSON declared as UTF-8 in either spelling', async () => {
      for (const contentType of ['application/json; charset=utf-8', 'application/json; charset=UTF8']) {
        expect((await postRaw(JSON.stringify(sessionBody()), { 'content-type': contentType })).status).toBe(200);
      }
    });
  });

  describe('never a 500 for bad input', () => {
    const valid = JSON.stringify(sessionBody()).slice(1, -1);
    const nastyBodies: Array<[string, string]> = [
      ['an empty array', '[]'],
      ['an array of objects', `[{${valid}}]`],
      ['null', 'null'],
      ['a string', '"hello"'],
      ['a number', '42'],
      ['true', 'true'],
      ['an empty object', '{}'],
      ['deeply nested arrays', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
      ['deeply nested objects', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`],
      ['a nested object as a field', `{${valid},"partner_user_id":${'{"a":'.repeat(1_000)}1${'}'.repeat(1_000)}}`],
      ['a huge JSON number', `{${valid},"amount":1e309}`],
      ['a huge integer', `{${valid},"amount":${'9'.repeat(400)}}`],
      ['negative zero', `{${valid},"amount":-0}`],
      ['a huge decimal string', `{${valid},"amount":"${'9'.repeat(64)}.${'9'.repeat(6)}"}`],
      ['a __proto__ key', `{${valid},"__proto__":{"admin":true}}`],
      ['a nested __proto__ key', `{${valid},"address":{"__proto__":{"admin":true}}}`],
      ['a constructor.prototype key', `{${valid},"constructor":{"prototype":{"admin":true}}}`],
      ['a constructor key', `{${valid},"constructor":"x"}`],
      ['a toString key', `{${valid},"toString":"x"}`],
      ['a hasOwnProperty key', `{${valid},"hasOwnProperty":1}`],
      ['a NUL escape in every string', JSON.stringify(Object.fromEntries(Object.keys(sessionBody()).map((key) => [key, '\u0000'])))],
      ['a NUL in a key', `{${valid},"a\\u0000b":"x"}`],
      ['type as an object', `{${valid},"type":{"$ne":"buy"}}`],
      ['an invalid unicode escape', `{${valid},"partner_user_id":"\\uZZZZ"}`],
      ['a raw control character', `{${valid},"partner_user_id":"a\tb"}`],
      ['a duplicate key with a bad value', `{${valid},"amount":"-1"}`],
    ];

    it.each(nastyBodies)('answers %s with a documented 4xx', async (label, rawBody) => {
      expectClientError(await postRaw(rawBody, JSON_TYPE), label);
    });

    it.each([
      ['a NUL in a transaction id', '/widget/transactions/%00'],
      ['a control character in a transaction id', '/widget/transactions/a%0Ab'],
      ['a NUL in a user id', '/widget/users/%00/kyc-status'],
      ['bad percent-encoding', '/widget/users/%E0%A4%A/kyc-status'],
      ['an over-long transaction id', `/widget/transactions/${'a'.repeat(150)}`],
      ['a transaction id past the router limit', `/widget/transactions/${'a'.repeat(300)}`],
      ['dot segments', '/widget/transactions/..%2F..%2Fadmin%2Fpartners'],
      ['an over-long user id', `/widget/users/${'u'.repeat(129)}/kyc-status`],
    ])('answers a GET with %s with a documented 4xx', async (label, path) => {
      expectClientError(await get(path), label);
    });

    it('answers odd Origin headers with a documented 4xx', async () => {
      for (const origin of ['file://', 'http://', '*', 'chrome-extension://abc', 'http://[::1', `https://${'a'.repeat(3000)}.example`]) {
        expectClientError(await createSession(sessionBody(), { headers: { origin } }), `origin ${origin}`);
      }
    });
  });
});

describe('rate_limit_exceeded', () => {
  const server = useServerWithPartner({ env: { RATE_LIMIT_PER_MINUTE: '3' }, otherPartner: true });

  it('answers the fourth request in a minute with 429 and Retry-After, per token', async () => {
    const { partner, otherPartner: other } = server;
    const url = `${server.url}/widget/session`;
    for (let i = 0; i < 3; i++) {
      expect((await request(url, { token: partner.client_token, body: sessionBody() })).status).toBe(200);
    }
    const limited = await request(url, { token: partner.client_token, body: sessionBody() });
    expectError(limited, 429, 'rate_limited', 'rate_limit_exceeded');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Reads count too, and the limit is per token: another partner is unaffected.
    expectError(
      await request(`${server.url}/widget/transactions/x`, { token: partner.client_token }),
      429,
      'rate_limited',
      'rate_limit_exceeded',
    );
    expect((await request(url, { token: other.client_token, body: sessionBody() })).status).toBe(200);
  });
});

describe('provider_error', () => {
  let ratesDown = true;
  const sandbox = new SandboxRateProvider();
  const server = useServerWithPartner({
    platformOptions: withRateProvider({
      name: 'failing',
      quote: async (request) => {
        if (ratesDown) throw new ProviderError({ provider: 'failing', kind: 'rejected', retryable: true, message: 'declines for now' });
        return sandbox.quote(request);
      },
    }),
  });

  it('answers 502 when pricing fails, and the same request succeeds once the provider is back', async () => {
    const { partner } = server;
    const send = () =>
      request(`${server.url}/widget/session`, {
        token: partner.client_token,
        body: sessionBody({ merchant_transaction_id: 'retry-me' }),
        headers: { 'idempotency-key': 'retry-key' },
      });
    const body = expectError(await send(), 502, 'upstream_error', 'provider_error');
    expect(body.message).toBe('A provider we depend on declined this request; retry with the same request.');
    expect((await request(`${server.url}/widget/transactions/retry-me`, { token: partner.client_token })).status).toBe(404);
    ratesDown = false;
    const retried = await send();
    expect(retried.status).toBe(200);
    expect(retried.body.merchant_transaction_id).toBe('retry-me');
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });
});
