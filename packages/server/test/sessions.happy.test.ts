import { describe, expect, it } from 'vitest';
import { validateAddress } from '../src/lib/address.ts';
import { sandboxPartnerInput } from '../src/modules/partners/sandbox-partner.ts';
import { verifyInitToken } from '../src/modules/sessions/init-token.ts';
import { type SignedSessionFields, verifySessionSignature } from '../src/modules/sessions/signature.ts';
import { signingKeys } from './helpers/platform-internals.ts';
import { expectError, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * POST /widget/session on the happy path, through real HTTP (reading the transaction back where the
 * stored figures must be the session's). The partner is the sandbox partner (the seeded partner's
 * defaults): USDT on TRC20 (default network), ERC20 and BEP20 and BTC on BITCOIN, each with a wallet;
 * fiat EUR (default) and USD; sell enabled; fee 1.5 % + 0.50 fixed. Sandbox rates: USDT 0.92 EUR /
 * 1.00 USD, BTC 88000 EUR / 95000 USD; network fees: TRC20 1 USDT, ERC20 3 USDT, BEP20 0.3 USDT,
 * BITCOIN 0.00005 BTC.
 *
 * Buy with a crypto amount A: fiat = ⌈A·rate⌉ + ⌈NF·rate⌉ + ⌈A·rate·1.5%⌉ + 0.50 (each rounded up to cents).
 */

const SESSION_FIELDS = [
  'merchant_transaction_id',
  'widget_id',
  'address',
  'signature',
  'init_token',
  'init_token_type',
  'currency',
  'currencies',
  'fix_currency',
  'network',
  'networks',
  'fix_network',
  'amount',
  'fix_amount',
  'fiat_currency',
  'fiat_currencies',
  'fix_fiat_currency',
  'fiat_amount',
  'fix_fiat_amount',
  'type',
  'lang',
  'theme',
  'redirect_url',
  'widget_url',
].sort();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const START = new Date('2026-11-21T12:00:00Z');

/** The sandbox partner's configured wallets, as server.createPartner() stores them. */
const SANDBOX_WALLETS = Object.fromEntries(
  sandboxPartnerInput('http://localhost:8080').assets!.map((asset) => [`${asset.currency}:${asset.network}`, asset.address!]),
);

/** Valid addresses that are not the sandbox wallets (the EVM one is an EIP-55 test vector). */
const OTHER_TRON = 'TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7';
const OTHER_EVM_LOWER = '0x52908400098527886e0f7030069857d2e4169ee7';
const OTHER_EVM_CHECKSUMMED = '0x52908400098527886E0F7030069857D2E4169EE7';

describe('POST /widget/session (happy paths)', () => {
  const server = useServerWithPartner();
  const signatureKey = () => signingKeys(server).sessionSignature;
  const initTokenKey = () => signingKeys(server).initToken;
  const createSession = (body: Record<string, unknown>, options: { token?: string; headers?: Record<string, string> } = {}) =>
    server.createSession(body, options);
  const signedFields = (session: Record<string, any>, clientIp: string | null): SignedSessionFields => ({
    address: session.address,
    merchant_transaction_id: session.merchant_transaction_id,
    widget_id: session.widget_id,
    currency: session.currency,
    network: session.network,
    amount: session.amount,
    type: session.type,
    client_ip: clientIp,
  });

  describe('a buy with the documented fields', () => {
    it('returns every response field, with the right type and value', async () => {
      const result = await createSession(sessionBody({ client_ip: '203.0.113.9' }));
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^application\/json/);
      expect(result.headers.get('idempotent-replayed')).toBeNull();
      const session = result.body;
      expect(Object.keys(session).sort()).toEqual(SESSION_FIELDS);

      // Types of every field.
      for (const field of [
        'merchant_transaction_id',
        'widget_id',
        'address',
        'signature',
        'init_token',
        'init_token_type',
        'currency',
        'network',
        'amount',
        'fiat_currency',
        'fiat_amount',
        'type',
        'lang',
        'theme',
        'widget_url',
      ]) {
        expect(typeof session[field], field).toBe('string');
      }
      for (const field of ['fix_currency', 'fix_amount', 'fix_fiat_currency', 'fix_fiat_amount']) {
        expect(typeof session[field], field).toBe('boolean');
      }
      for (const field of ['currencies', 'networks', 'fix_network', 'fiat_currencies']) {
        expect(Array.isArray(session[field]), field).toBe(true);
      }
      expect(session.redirect_url).toBeNull();

      // Values. 100 USDT on TRC20 in EUR: ⌈92.00⌉ + ⌈1·0.92⌉ + ⌈92·0.015 = 1.38⌉ + 0.50 = 94.80 EUR.
      expect(session).toEqual({
        merchant_transaction_id: expect.stringMatching(UUID),
        widget_id: server.partner.widget_id,
        address: SANDBOX_WALLETS['USDT:TRC20'],
        signature: expect.stringMatching(/^v2:[0-9a-f]{128}$/),
        init_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        init_token_type: 'sdk_partner_authorization',
        currency: 'USDT',
        currencies: ['USDT', 'BTC'],
        fix_currency: true,
        network: 'TRC20',
        networks: ['TRC20', 'ERC20', 'BEP20'],
        fix_network: ['TRC20'],
        amount: '100',
        fix_amount: true,
        fiat_currency: 'EUR',
        fiat_currencies: ['EUR', 'USD'],
        fix_fiat_currency: false,
        fiat_amount: '94.80',
        fix_fiat_amount: false,
        type: 'buy',
        lang: 'en',
        theme: 'light',
        redirect_url: null,
        widget_url: `${server.url}/widget.2.0.js`,
      });
    });

    it('signs the session: the signature verifies with the platform key and binds client_ip', async () => {
      const { body: session } = await createSession(sessionBody({ client_ip: '203.0.113.9' }));
      expect(session.signature).toMatch(/^v2:[0-9a-f]{128}$/);
      expect(verifySessionSignature(signatureKey(), signedFields(session, '203.0.113.9'), session.signature)).toBe(true);
      // Another client IP, or none, does not verify.
      expect(verifySessionSignature(signatureKey(), signedFields(session, '203.0.113.10'), session.signature)).toBe(false);
      expect(verifySessionSignature(signatureKey(), signedFields(session, null), session.signature)).toBe(false);
      // Nor does a changed amount or address, nor another purpose's key.
      expect(verifySessionSignature(signatureKey(), { ...signedFields(session, '203.0.113.9'), amount: '1000' }, session.signature)).toBe(
        false,
      );
      expect(
        verifySessionSignature(signatureKey(), { ...signedFields(session, '203.0.113.9'), address: OTHER_TRON }, session.signature),
      ).toBe(false);
      expect(verifySessionSignature(initTokenKey(), signedFields(session, '203.0.113.9'), session.signature)).toBe(false);
    });

    it('signs a session without client_ip as such, and an IPv6 client_ip in its canonical form', async () => {
      const { body: withoutIp } = await createSession(sessionBody());
      expect(verifySessionSignature(signatureKey(), signedFields(withoutIp, null), withoutIp.signature)).toBe(true);
      expect(verifySessionSignature(signatureKey(), signedFields(withoutIp, '203.0.113.9'), withoutIp.signature)).toBe(false);

      const { body: v6 } = await createSession(sessionBody({ client_ip: '2001:DB8:0:0::1' }));
      expect(verifySessionSignature(signatureKey(), signedFields(v6, '2001:db8::1'), v6.signature)).toBe(true);
    });

    it('issues an init token for this transaction that expires after 60 minutes', async () => {
      const { body: session } = await createSession(sessionBody());
      const claims = await verifyInitToken(initTokenKey(), session.init_token, server.clock.now());
      expect(claims).toMatchObject({
        sub: session.merchant_transaction_id,
        pid: server.partner.partner_id,
        wid: server.partner.widget_id,
        typ: 'sdk_partner_authorization',
        iss: 'proof-ramp',
        aud: 'proof-widget',
        iat: START.getTime() / 1000,
        exp: START.getTime() / 1000 + 3600,
      });
      expect((claims as unknown as { tid: string }).tid).toMatch(UUID);
      // Signed with the init-token key, not the signature key.
      await expect(verifyInitToken(signatureKey(), session.init_token, server.clock.now())).rejects.toThrow();
      try {
        server.clock.advance(59 * 60_000 + 59_000);
        await expect(verifyInitToken(initTokenKey(), session.init_token, server.clock.now())).resolves.toMatchObject({
          sub: session.merchant_transaction_id,
        });
        server.clock.advance(2_000); // 60 min 01 s after issue
        await expect(verifyInitToken(initTokenKey(), session.init_token, server.clock.now())).rejects.toThrow(/exp/);
      } finally {
        server.clock.set(START);
      }
    });

    it('answers a call from a registered browser origin with an sdk_customer_token', async () => {
      const { status, body: session } = await createSession(sessionBody(), { headers: { origin: 'http://localhost:8080' } });
      expect(status).toBe(200);
      expect(session.init_token_type).toBe('sdk_customer_token');
      const claims = await verifyInitToken(initTokenKey(), session.init_token, server.clock.now());
      expect(claims.typ).toBe('sdk_customer_token');
    });

    it('gives every session its own merchant_transaction_id', async () => {
      const [a, b] = await Promise.all([createSession(sessionBody()), createSession(sessionBody())]);
      expect(a!.body.merchant_transaction_id).toMatch(UUID);
      expect(b!.body.merchant_transaction_id).toMatch(UUID);
      expect(a!.body.merchant_transaction_id).not.toBe(b!.body.merchant_transaction_id);
      expect(b!.headers.get('idempotent-replayed')).toBeNull();
    });
  });

  describe('request generations and forms', () => {
    it('accepts a session without any amount (the older form): the user picks it in the widget', async () => {
      for (const amount of [undefined, null]) {
        const { status, body: session } = await createSession(sessionBody({ amount }));
        expect(status).toBe(200);
        expect(session).toMatchObject({ amount: '', fix_amount: false, fiat_amount: '', fix_fiat_amount: false, currency: 'USDT' });
        expect(verifySessionSignature(signatureKey(), signedFields(session, null), session.signature)).toBe(true);
        const view = await server.getTransaction(session.merchant_transaction_id);
        expect(view.body).toMatchObject({ status: 'pending', crypto_amount: '', fiat_amount: '' });
      }
    });

    it('accepts crypto_amount as an alias of amount', async () => {
      const body = sessionBody({ crypto_amount: '100' });
      delete (body as Record<string, unknown>).amount;
      const { status, body: session } = await createSession(body);
      expect(status).toBe(200);
      expect(session).toMatchObject({ amount: '100', fix_amount: true, fiat_amount: '94.80', fix_fiat_amount: false });
      // Both names with the same value is the same request.
      const both = await createSession(sessionBody({ amount: '100', crypto_amount: '100' }));
      expect(both.status).toBe(200);
      expect(both.body.amount).toBe('100');
    });

    it('accepts fiat_amount instead of an amount: the user pays exactly that', async () => {
      const body = sessionBody({ fiat_amount: '100' });
      delete (body as Record<string, unknown>).amount;
      const { status, body: session } = await createSession(body);
      expect(status).toBe(200);
      // The largest amount whose price fits 100.00: 105.565217 USDT costs ⌈97.11999964⌉ 97.12 + 0.92 +
      // ⌈1.4567999…⌉ 1.46 + 0.50 = 100.00, while 105.565218 would cost 100.01.
      expect(session).toMatchObject({
        amount: '105.565217',
        fix_amount: false,
        fiat_amount: '100.00',
        fix_fiat_amount: true,
        fiat_currency: 'EUR',
      });
      const read = await server.getTransaction(session.merchant_transaction_id);
      expect(read.body.fiat_amount).toBe('100.00');
    });

    it('charges exactly a fiat_amount with cents', async () => {
      const body = sessionBody({ fiat_amount: '250.5' });
      delete (body as Record<string, unknown>).amount;
      const { body: session } = await createSession(body);
      // The largest amount whose price fits 250.50: 266.728260 USDT costs ⌈245.3899992⌉ 245.39 + 0.92 +
      // ⌈3.6808499…⌉ 3.69 + 0.50 = 250.50; one micro-USDT more would cost 250.51.
      expect(session).toMatchObject({ amount: '266.72826', fiat_amount: '250.50', fix_amount: false, fix_fiat_amount: true });
    });

    it('accepts the older request without network: the first listed asset for the currency', async () => {
      const older = { partner_user_id: 'user-old', user_email: 'old@example.com', currency: 'USDT', crypto_amount: '100' };
      const { status, body: session } = await createSession(older);
      expect(status).toBe(200);
      expect(session).toMatchObject({
        currency: 'USDT',
        network: 'TRC20',
        fix_network: ['TRC20'],
        address: SANDBOX_WALLETS['USDT:TRC20'],
        amount: '100',
        fiat_currency: 'EUR',
        fiat_amount: '94.80',
      });
      const btc = await createSession({ ...older, currency: 'BTC', crypto_amount: '0.001', network: null });
      expect(btc.status).toBe(200);
      expect(btc.body).toMatchObject({
        currency: 'BTC',
        network: 'BITCOIN',
        networks: ['BITCOIN'],
        address: SANDBOX_WALLETS['BTC:BITCOIN'],
      });
    });

    it('uses the default network the partner marked, not only the first listed', async () => {
      const marked = await server.createPartner({
        assets: [
          { currency: 'USDT', network: 'TRC20', address: SANDBOX_WALLETS['USDT:TRC20']! },
          { currency: 'USDT', network: 'BEP20', address: SANDBOX_WALLETS['USDT:BEP20']!, is_default: true },
        ],
      });
      const { body: session } = await createSession(
        { partner_user_id: 'u', user_email: 'u@example.com', currency: 'USDT', amount: '100' },
        { token: marked.client_token },
      );
      // 100 USDT on BEP20 in EUR: 92.00 + ⌈0.3·0.92 = 0.276⌉ 0.28 + 1.38 + 0.50 = 94.16.
      expect(session).toMatchObject({
        network: 'BEP20',
        address: SANDBOX_WALLETS['USDT:BEP20'],
        networks: ['TRC20', 'BEP20'],
        fiat_amount: '94.16',
      });
    });

    it('accepts lower-case currency, network and fiat_currency and answers in upper case', async () => {
      const { status, body: session } = await createSession(sessionBody({ currency: 'usdt', network: 'erc20', fiat_currency: 'eur' }));
      expect(status).toBe(200);
      // 100 USDT on ERC20 in EUR: 92.00 + ⌈3·0.92⌉ 2.76 + 1.38 + 0.50 = 96.64.
      expect(session).toMatchObject({
        currency: 'USDT',
        network: 'ERC20',
        fix_network: ['ERC20'],
        fiat_currency: 'EUR',
        address: SANDBOX_WALLETS['USDT:ERC20'],
        fiat_amount: '96.64',
      });
      expect(verifySessionSignature(signatureKey(), signedFields(session, null), session.signature)).toBe(true);
    });

    it('prices in USD when asked', async () => {
      const { status, body: session } = await createSession(sessionBody({ fiat_currency: 'USD' }));
      expect(status).toBe(200);
      // 100 USDT on TRC20 in USD: 100.00 + 1.00 + 1.50 + 0.50 = 103.00.
      expect(session).toMatchObject({ fiat_currency: 'USD', fiat_currencies: ['EUR', 'USD'], fiat_amount: '103.00', amount: '100' });
    });

    it('handles BTC with 8 decimals', async () => {
      const eur = await createSession(sessionBody({ currency: 'BTC', network: 'BITCOIN', amount: '0.001' }));
      expect(eur.status).toBe(200);
      // 0.001 BTC in EUR: 88.00 + ⌈0.00005·88000⌉ 4.40 + ⌈88·0.015⌉ 1.32 + 0.50 = 94.22.
      expect(eur.body).toMatchObject({
        currency: 'BTC',
        network: 'BITCOIN',
        networks: ['BITCOIN'],
        fix_network: ['BITCOIN'],
        amount: '0.001',
        fiat_amount: '94.22',
        address: SANDBOX_WALLETS['BTC:BITCOIN'],
      });
      expect(verifySessionSignature(signatureKey(), signedFields(eur.body, null), eur.body.signature)).toBe(true);

      const eightPlaces = await createSession(
        sessionBody({ currency: 'BTC', network: 'BITCOIN', amount: '0.01234567', fiat_currency: 'USD' }),
      );
      expect(eightPlaces.status).toBe(200);
      // 0.01234567 BTC in USD: ⌈1172.83865⌉ 1172.84 + ⌈4.75⌉ 4.75 + ⌈17.59257975⌉ 17.60 + 0.50 = 1195.69.
      expect(eightPlaces.body).toMatchObject({ amount: '0.01234567', fiat_currency: 'USD', fiat_amount: '1195.69' });
    });
  });

  describe('exact fiat amounts', () => {
    // Each case worked by hand: value = A·rate, then each part rounded up to the cent on its own.
    const cases: Array<{ body: Record<string, unknown>; fiat: string; why: string }> = [
      // 92.00 + 0.92 + 1.38 + 0.50
      { body: { amount: '100' }, fiat: '94.80', why: 'round numbers, TRC20, EUR' },
      // value 30.66666636 → 30.67; fee 0.4599999954 → 0.46; 30.67 + 0.92 + 0.46 + 0.50
      { body: { amount: '33.333333' }, fiat: '32.55', why: 'six decimals, each part rounds up' },
      // value 11.50; network 0.276 → 0.28; fee 0.1725 → 0.18; 11.50 + 0.28 + 0.18 + 0.50
      { body: { amount: '12.5', network: 'BEP20' }, fiat: '12.46', why: 'BEP20 network fee rounds up' },
      // value 9.0; network 1.00; fee 0.135 → 0.14; 9.00 + 1.00 + 0.14 + 0.50 = 10.64
      { body: { amount: '9', fiat_currency: 'USD' }, fiat: '10.64', why: 'USD, just above the 10.00 minimum' },
      // value 0.92·0.000001 = 0.00000092 → 0.01; fee → 0.01; 1000.000001 USDT: 920.00000092 → 920.01; fee 13.8000000138 → 13.81
      { body: { amount: '1000.000001' }, fiat: '935.24', why: 'one micro-USDT above a round amount costs a cent on value and fee' },
    ];
    it.each(cases)('$why: $fiat', async ({ body, fiat }) => {
      const { status, body: session } = await createSession(sessionBody(body));
      expect(status).toBe(200);
      expect(session.fiat_amount).toBe(fiat);
      const read = await server.getTransaction(session.merchant_transaction_id);
      expect(read.body.fiat_amount).toBe(fiat);
    });
  });

  describe('sell', () => {
    it('allocates a per-transaction deposit address valid for the network and lists the sell fiats', async () => {
      const [a, b] = await Promise.all([
        createSession(sessionBody({ type: 'sell', client_ip: '198.51.100.7' })),
        createSession(sessionBody({ type: 'sell', client_ip: '198.51.100.7' })),
      ]);
      expect(a!.status).toBe(200);
      expect(b!.status).toBe(200);
      for (const { body: session } of [a!, b!]) {
        expect(Object.keys(session).sort()).toEqual(SESSION_FIELDS);
        // 100 USDT sold for EUR: ⌊92.00·0.985 = 90.62⌋ − 0.50 = 90.12.
        expect(session).toMatchObject({
          type: 'sell',
          currency: 'USDT',
          network: 'TRC20',
          amount: '100',
          fix_amount: true,
          fiat_currency: 'EUR',
          fiat_currencies: ['EUR', 'USD'],
          fiat_amount: '90.12',
          fix_fiat_amount: false,
        });
        expect(validateAddress('tron', session.address)).toEqual({ ok: true, address: session.address });
        expect(Object.values(SANDBOX_WALLETS)).not.toContain(session.address);
        expect(verifySessionSignature(signatureKey(), signedFields(session, '198.51.100.7'), session.signature)).toBe(true);
        expect(verifySessionSignature(signatureKey(), { ...signedFields(session, '198.51.100.7'), type: 'buy' }, session.signature)).toBe(
          false,
        );
      }
      expect(a!.body.address).not.toBe(b!.body.address);
    });

    it('allocates bech32 deposit addresses on BITCOIN', async () => {
      const { status, body: session } = await createSession(
        sessionBody({ type: 'sell', currency: 'BTC', network: 'BITCOIN', amount: '0.001' }),
      );
      expect(status).toBe(200);
      expect(session.address).toMatch(/^bc1q[02-9ac-hj-np-z]{38}$/);
      expect(validateAddress('bitcoin', session.address)).toEqual({ ok: true, address: session.address });
      expect(session.address).not.toBe(SANDBOX_WALLETS['BTC:BITCOIN']);
      // 0.001 BTC sold for EUR: ⌊88.00·0.985 = 86.68⌋ − 0.50 = 86.18.
      expect(session.fiat_amount).toBe('86.18');
    });

    it("uses the partner's sell fiats, which may differ from its buy fiats", async () => {
      const seller = await server.createPartner({
        sell_fiat_currencies: ['USD'],
        assets: [{ currency: 'USDT', network: 'ERC20', address: null }],
      });
      const { status, body: session } = await createSession(sessionBody({ type: 'sell', network: 'ERC20' }), {
        token: seller.client_token,
      });
      expect(status).toBe(200);
      // The default fiat EUR is not a sell fiat here, so the first sell fiat applies.
      // 100 USDT sold for USD: ⌊100·0.985 = 98.50⌋ − 0.50 = 98.00.
      expect(session).toMatchObject({
        type: 'sell',
        fiat_currency: 'USD',
        fiat_currencies: ['USD'],
        fiat_amount: '98.00',
        currencies: ['USDT'],
        networks: ['ERC20'],
      });
      // No wallet is needed to sell: the deposit address is allocated, EIP-55 checksummed.
      expect(validateAddress('evm', session.address)).toEqual({ ok: true, address: session.address });
      // …but a buy on that asset has nowhere to send the crypto.
      expectError(
        await createSession(sessionBody({ network: 'ERC20' }), { token: seller.client_token }),
        400,
        'wallet_not_supported',
        'WALLET_NOT_SUPPORTED',
      );
    });

    it("takes the type from the partner's widget config when the request has none", async () => {
      const sellsByDefault = await server.createPartner({ widget: { type: 'sell' } });
      const body = sessionBody();
      const { status, body: session } = await createSession(body, { token: sellsByDefault.client_token });
      expect(status).toBe(200);
      expect(session).toMatchObject({ type: 'sell', fiat_amount: '90.12' });
      expect(Object.values(SANDBOX_WALLETS)).not.toContain(session.address);
      const buy = await createSession(sessionBody({ type: 'buy' }), { token: sellsByDefault.client_token });
      expect(buy.body).toMatchObject({ type: 'buy', address: SANDBOX_WALLETS['USDT:TRC20'], fiat_amount: '94.80' });
    });

    it('quotes a sell by fiat_amount: the payout is exactly that', async () => {
      const body = sessionBody({ type: 'sell', fiat_amount: '100' });
      delete (body as Record<string, unknown>).amount;
      const { status, body: session } = await createSession(body);
      expect(status).toBe(200);
      // A = ⌈((100 + 0.50) / 0.985) / 0.92⌉ = ⌈110.9026704…⌉ = 110.902671 USDT.
      expect(session).toMatchObject({
        type: 'sell',
        amount: '110.902671',
        fiat_amount: '100.00',
        fix_amount: false,
        fix_fiat_amount: true,
      });
    });
  });

  describe('wallet routing', () => {
    it('uses and validates the request address when the partner may supply addresses', async () => {
      const own = await server.createPartner({ allow_partner_address: true });
      const tron = await createSession(sessionBody({ address: OTHER_TRON, client_ip: '203.0.113.9' }), { token: own.client_token });
      expect(tron.status).toBe(200);
      expect(tron.body.address).toBe(OTHER_TRON);
      expect(verifySessionSignature(signatureKey(), signedFields(tron.body, '203.0.113.9'), tron.body.signature)).toBe(true);

      // A single-case EVM address carries no checksum; it comes back in its EIP-55 form.
      const evm = await createSession(sessionBody({ network: 'ERC20', address: OTHER_EVM_LOWER }), { token: own.client_token });
      expect(evm.status).toBe(200);
      expect(evm.body.address).toBe(OTHER_EVM_CHECKSUMMED);

      // Without an address in the request, the configured wallet is used.
      const none = await createSession(sessionBody(), { token: own.client_token });
      expect(none.body.address).toBe(SANDBOX_WALLETS['USDT:TRC20']);

      // The address is checked for its network, checksum included.
      const badChecksum = `${OTHER_TRON.slice(0, -1)}8`;
      const invalid = expectError(
        await createSession(sessionBody({ address: badChecksum }), { token: own.client_token }),
        400,
        'invalid_request',
        'validation_error',
      );
      expect(invalid.details).toEqual([{ field: 'address', issue: 'not a valid TRC20 address: bad base58check checksum' }]);
      const wrongNetwork = expectError(
        await createSession(sessionBody({ address: OTHER_EVM_LOWER }), { token: own.client_token }),
        400,
        'invalid_request',
        'validation_error',
      );
      expect(wrongNetwork.details[0].field).toBe('address');
      // Mixed case is a checksum: one letter's case flipped breaks it.
      const badEip55 = expectError(
        await createSession(sessionBody({ network: 'ERC20', address: OTHER_EVM_CHECKSUMMED.replace('E0F7', 'e0F7') }), {
          token: own.client_token,
        }),
        400,
        'invalid_request',
        'validation_error',
      );
      expect(badEip55.details).toEqual([{ field: 'address', issue: 'not a valid ERC20 address: bad EIP-55 checksum' }]);
    });
  });

  describe('redirect_url and merchant_transaction_id', () => {
    it('uses the partner default redirect_url unless the request gives one', async () => {
      const withDefault = await server.createPartner({ widget: { redirect_url: 'https://partner.example/done' } });
      const fallback = await createSession(sessionBody(), { token: withDefault.client_token });
      expect(fallback.body.redirect_url).toBe('https://partner.example/done');
      const override = await createSession(sessionBody({ redirect_url: 'https://partner.example/orders/7?step=done' }), {
        token: withDefault.client_token,
      });
      expect(override.status).toBe(200);
      expect(override.body.redirect_url).toBe('https://partner.example/orders/7?step=done');
      // A partner without a default gets the request's value, or null.
      const plain = await createSession(sessionBody({ redirect_url: 'https://other.example/back' }));
      expect(plain.body.redirect_url).toBe('https://other.example/back');
    });

    it('echoes a partner-supplied merchant_transaction_id and finds the transaction by it', async () => {
      const { status, body: session } = await createSession(
        sessionBody({ merchant_transaction_id: 'order-42.A_b:c', client_ip: '203.0.113.9' }),
      );
      expect(status).toBe(200);
      expect(session.merchant_transaction_id).toBe('order-42.A_b:c');
      expect(verifySessionSignature(signatureKey(), signedFields(session, '203.0.113.9'), session.signature)).toBe(true);
      const claims = await verifyInitToken(initTokenKey(), session.init_token, server.clock.now());
      expect(claims.sub).toBe('order-42.A_b:c');
      const read = await server.getTransaction('order-42.A_b:c');
      expect(read.status).toBe(200);
      expect(read.body.merchant_transaction_id).toBe('order-42.A_b:c');
      expect(read.body.fiat_amount).toBe('94.80');
    });
  });
});
