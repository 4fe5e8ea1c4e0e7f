import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/lib/provider-error.ts';
import type { MarketQuote, QuoteRequest, RateProvider } from '../src/modules/pricing/rate-provider.ts';
import { SandboxRateProvider } from '../src/modules/pricing/sandbox-rate-provider.ts';
import { withRateProvider } from './helpers/platform-internals.ts';
import { expectError, type HttpResult, type PartnerCredentials, sessionBody, TEST_START } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * Idempotent session creation: the Idempotency-Key header (same key + same body within IDEMPOTENCY_TTL,
 * 24 h, replays the stored response; another body → 409) and partner-supplied merchant_transaction_id
 * (unique per partner; a repeat returns the same session). Failed requests leave no record.
 */

/** Sandbox rates that can be made to fail, or to hold a request inside pricing until the test lets it go. */
class ControllableRates implements RateProvider {
  readonly name = 'controllable';
  private readonly inner = new SandboxRateProvider();
  private failures = 0;
  private held: { arrived: PromiseWithResolvers<void>; release: PromiseWithResolvers<void> } | null = null;
  calls = 0;

  failNext(times: number): void {
    this.failures = times;
  }

  /** The next quote waits (after the request's idempotency checks ran) until `release` is called. */
  holdNext(): { arrived: Promise<void>; release: () => void } {
    const hold = { arrived: Promise.withResolvers<void>(), release: Promise.withResolvers<void>() };
    this.held = hold;
    return { arrived: hold.arrived.promise, release: () => hold.release.resolve() };
  }

  async quote(request: QuoteRequest): Promise<MarketQuote> {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw new ProviderError({ provider: this.name, kind: 'unavailable', message: 'sandbox outage' });
    }
    const hold = this.held;
    if (hold) {
      this.held = null;
      hold.arrived.resolve();
      await hold.release.promise;
    }
    return this.inner.quote(request);
  }
}

const HOUR = 3_600_000;

describe('Idempotency-Key and merchant_transaction_id', () => {
  const rates = new ControllableRates();
  const server = useServerWithPartner({ platformOptions: withRateProvider(rates) });
  /** Set by each test to a partner of its own, so row counts are its own. */
  let partner: PartnerCredentials;

  const post = (body: Record<string, unknown>, options: { key?: string; token?: string } = {}) =>
    server.createSession(body, {
      token: options.token ?? partner.client_token,
      headers: options.key === undefined ? {} : { 'idempotency-key': options.key },
    });

  const transactionRows = async (partnerId: string) =>
    server.platform.db
      .selectFrom('transactions')
      .select(['merchant_transaction_id', 'partner_user_id', 'fiat_currency', 'quote_fiat_minor'])
      .where('partner_id', '=', partnerId)
      .orderBy('created_at')
      .orderBy('merchant_transaction_id')
      .execute();

  const keyRows = async (partnerId: string, key: string) =>
    server.platform.db.selectFrom('idempotency_keys').selectAll().where('partner_id', '=', partnerId).where('key', '=', key).execute();

  const freshPartner = () => server.createPartner();

  const replayed = (result: HttpResult) => result.headers.get('idempotent-replayed') === 'true';

  describe('Idempotency-Key', () => {
    it('replays the stored response for the same key and body, and creates one transaction', async () => {
      partner = await freshPartner();
      const body = sessionBody({ partner_user_id: 'idem-1', client_ip: '203.0.113.9' });
      const first = await post(body, { key: 'order-1-attempt' });
      expect(first.status).toBe(200);
      expect(first.headers.get('idempotent-replayed')).toBeNull();

      const callsBefore = rates.calls;
      const second = await post(body, { key: 'order-1-attempt' });
      expect(second.status).toBe(200);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.body).toEqual(first.body);
      expect(second.body.merchant_transaction_id).toBe(first.body.merchant_transaction_id);
      // A retry is answered before any pricing work.
      expect(rates.calls).toBe(callsBefore);

      // The same body in another key order, with nulls for absent fields, is the same request.
      const reordered = Object.fromEntries(Object.entries({ ...body, fiat_amount: null, address: null }).reverse());
      const third = await post(reordered, { key: 'order-1-attempt' });
      expect(third.status).toBe(200);
      expect(replayed(third)).toBe(true);
      expect(third.body.merchant_transaction_id).toBe(first.body.merchant_transaction_id);

      const rows = await transactionRows(partner.partner_id);
      expect(rows).toEqual([
        {
          merchant_transaction_id: first.body.merchant_transaction_id,
          partner_user_id: 'idem-1',
          fiat_currency: 'EUR',
          quote_fiat_minor: '9480',
        },
      ]);
      const keys = await keyRows(partner.partner_id, 'order-1-attempt');
      expect(keys).toHaveLength(1);
      expect(keys[0]!.response).toMatchObject({ merchant_transaction_id: first.body.merchant_transaction_id, fiat_amount: '94.80' });
      expect(new Date(keys[0]!.created_at).toISOString()).toBe(TEST_START.toISOString());
    });

    it('refuses the same key with a different body (409), and still replays the original body', async () => {
      partner = await freshPartner();
      const first = await post(sessionBody({ partner_user_id: 'idem-2' }), { key: 'k-different-body' });
      expect(first.status).toBe(200);
      const conflict = expectError(
        await post(sessionBody({ partner_user_id: 'idem-2', amount: '200' }), { key: 'k-different-body' }),
        409,
        'conflict',
        'idempotency_key_reused',
      );
      expect(conflict.message).toBe('This Idempotency-Key was already used with a different request body.');
      const again = await post(sessionBody({ partner_user_id: 'idem-2' }), { key: 'k-different-body' });
      expect(again.status).toBe(200);
      expect(again.body.merchant_transaction_id).toBe(first.body.merchant_transaction_id);
      expect(await transactionRows(partner.partner_id)).toHaveLength(1);
    });

    it('does not deduplicate without a key: the same body twice is two sessions', async () => {
      partner = await freshPartner();
      const a = await post(sessionBody());
      const b = await post(sessionBody());
      expect(a.body.merchant_transaction_id).not.toBe(b.body.merchant_transaction_id);
      expect(replayed(b)).toBe(false);
      expect(await transactionRows(partner.partner_id)).toHaveLength(2);
    });

    it('creates one session for 10 concurrent requests with one key', async () => {
      partner = await freshPartner();
      const body = sessionBody({ partner_user_id: 'idem-concurrent' });
      const results = await Promise.all(Array.from({ length: 10 }, () => post(body, { key: 'concurrent-key' })));
      expect(results.map((result) => result.status)).toEqual(Array(10).fill(200));
      const ids = new Set(results.map((result) => result.body.merchant_transaction_id));
      expect(ids.size).toBe(1);
      // Exactly one of them created it; the other nine were answered with its response.
      expect(results.filter(replayed)).toHaveLength(9);
      for (const result of results) expect(result.body).toEqual(results[0]!.body);
      const rows = await transactionRows(partner.partner_id);
      expect(rows.map((row) => row.merchant_transaction_id)).toEqual([...ids]);
      expect(await keyRows(partner.partner_id, 'concurrent-key')).toHaveLength(1);
    });

    it('lets a key expire after IDEMPOTENCY_TTL (24 h): then it creates a new session', async () => {
      partner = await freshPartner();
      const body = sessionBody({ partner_user_id: 'idem-ttl' });
      try {
        const first = await post(body, { key: 'ttl-key' });
        expect(first.status).toBe(200);

        server.clock.advance(24 * HOUR - 1000); // one second before the key expires: it still names that session,
        // whose init_token (60 min) is long dead, so the retry is told so instead of getting the dead token
        const stillKept = expectError(await post(body, { key: 'ttl-key' }), 409, 'conflict', 'session_already_used');
        expect(stillKept.message).toContain(first.body.merchant_transaction_id);
        expect(stillKept.message).toContain('init_token expired');

        server.clock.advance(2000); // 24 h 01 s after the first use
        const afterExpiry = await post(body, { key: 'ttl-key' });
        expect(afterExpiry.status).toBe(200);
        expect(replayed(afterExpiry)).toBe(false);
        expect(afterExpiry.body.merchant_transaction_id).not.toBe(first.body.merchant_transaction_id);

        // The key now stands for the new session, from the new time on.
        const retry = await post(body, { key: 'ttl-key' });
        expect(replayed(retry)).toBe(true);
        expect(retry.body.merchant_transaction_id).toBe(afterExpiry.body.merchant_transaction_id);
        const keys = await keyRows(partner.partner_id, 'ttl-key');
        expect(keys).toHaveLength(1);
        expect(new Date(keys[0]!.created_at).toISOString()).toBe('2026-11-22T12:00:01.000Z');
        expect(keys[0]!.response).toMatchObject({ merchant_transaction_id: afterExpiry.body.merchant_transaction_id });

        // After expiry a different body is welcome too.
        server.clock.advance(24 * HOUR + 1000);
        const otherBody = await post(sessionBody({ partner_user_id: 'idem-ttl', amount: '50' }), { key: 'ttl-key' });
        expect(otherBody.status).toBe(200);
        expect(replayed(otherBody)).toBe(false);
        // 50 USDT: 46.00 + 0.92 + ⌈0.69⌉ 0.69 + 0.50 = 48.11 EUR.
        expect(otherBody.body.fiat_amount).toBe('48.11');
        expect(await transactionRows(partner.partner_id)).toHaveLength(3);
      } finally {
        server.clock.set(TEST_START);
      }
    });

    it('answers 409 session_already_used, with the state, to a retry of a session that is over', async () => {
      partner = await freshPartner();
      const body = sessionBody({ partner_user_id: 'idem-over', merchant_transaction_id: 'order-over-1' });
      const first = await post(body, { key: 'over-key' });
      expect(first.status).toBe(200);
      // Within the init token's life a retry replays the session.
      expect(replayed(await post(body, { key: 'over-key' }))).toBe(true);
      expect((await server.sandboxMove('order-over-1', 'cancelled')).status).toBe(200);
      for (const retry of [await post(body, { key: 'over-key' }), await post(body)]) {
        const refused = expectError(retry, 409, 'conflict', 'session_already_used');
        expect(refused.message).toContain('order-over-1');
        expect(refused.details).toEqual([{ field: 'merchant_transaction_id', issue: 'the session is cancelled' }]);
        expect(retry.body.init_token).toBeUndefined();
      }
      expect(await transactionRows(partner.partner_id)).toHaveLength(1);
    });

    it('keeps no record of a failed request: a corrected retry with the same key succeeds', async () => {
      partner = await freshPartner();
      const refused = expectError(
        await post(sessionBody({ currency: 'DOGE' }), { key: 'fix-and-retry' }),
        400,
        'invalid_request',
        'currency_not_allowed',
      );
      expect(refused.details).toEqual([{ field: 'currency', issue: 'enabled: USDT, BTC' }]);
      expect(await keyRows(partner.partner_id, 'fix-and-retry')).toEqual([]);

      // Repeating the failing body fails again (failures are not replayed from storage).
      expectError(await post(sessionBody({ currency: 'DOGE' }), { key: 'fix-and-retry' }), 400, 'invalid_request', 'currency_not_allowed');

      const corrected = await post(sessionBody({ partner_user_id: 'idem-fixed' }), { key: 'fix-and-retry' });
      expect(corrected.status).toBe(200);
      expect(replayed(corrected)).toBe(false);
      const retry = await post(sessionBody({ partner_user_id: 'idem-fixed' }), { key: 'fix-and-retry' });
      expect(replayed(retry)).toBe(true);
      expect(retry.body.merchant_transaction_id).toBe(corrected.body.merchant_transaction_id);

      // Once the key has succeeded, the old failing body is a different body: 409.
      expectError(await post(sessionBody({ currency: 'DOGE' }), { key: 'fix-and-retry' }), 409, 'conflict', 'idempotency_key_reused');
      expect(await transactionRows(partner.partner_id)).toHaveLength(1);
    });

    it('keeps no record of an amount out of range either', async () => {
      partner = await freshPartner();
      // 5 USDT costs 4.60 + 0.92 + 0.07 + 0.50 = 6.09 EUR: below the default minimum of 10.
      const tooSmall = expectError(
        await post(sessionBody({ amount: '5' }), { key: 'range-key' }),
        400,
        'invalid_request',
        'amount_out_of_range',
      );
      expect(tooSmall.details).toEqual([{ field: 'amount', issue: 'worth 6.09 EUR; allowed 10–10000' }]);
      const corrected = await post(sessionBody({ amount: '50' }), { key: 'range-key' });
      expect(corrected.status).toBe(200);
      expect(corrected.body.fiat_amount).toBe('48.11');
      expect(await transactionRows(partner.partner_id)).toHaveLength(1);
    });

    it('lets a request that failed upstream (502) be retried with the same key and body', async () => {
      partner = await freshPartner();
      const body = sessionBody({ partner_user_id: 'idem-upstream' });
      rates.failNext(1);
      expectError(await post(body, { key: 'upstream-key' }), 502, 'upstream_unavailable', 'upstream_unavailable');
      expect(await keyRows(partner.partner_id, 'upstream-key')).toEqual([]);
      expect(await transactionRows(partner.partner_id)).toEqual([]);
      const retry = await post(body, { key: 'upstream-key' });
      expect(retry.status).toBe(200);
      expect(replayed(retry)).toBe(false);
      expect(retry.body.fiat_amount).toBe('94.80');
      expect(await transactionRows(partner.partner_id)).toHaveLength(1);
    });

    it('keeps keys per partner: two partners with one key get independent sessions', async () => {
      const one = await freshPartner();
      const two = await freshPartner();
      const body = sessionBody({ partner_user_id: 'same-user' });
      const a = await post(body, { key: 'shared-key', token: one.client_token });
      const b = await post(body, { key: 'shared-key', token: two.client_token });
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(replayed(b)).toBe(false);
      expect(b.body.merchant_transaction_id).not.toBe(a.body.merchant_transaction_id);
      expect(b.body.widget_id).toBe(two.widget_id);
      // Each partner's retry replays its own session; another body is only refused within a partner.
      const aAgain = await post(body, { key: 'shared-key', token: one.client_token });
      const bAgain = await post(body, { key: 'shared-key', token: two.client_token });
      expect(aAgain.body.merchant_transaction_id).toBe(a.body.merchant_transaction_id);
      expect(bAgain.body.merchant_transaction_id).toBe(b.body.merchant_transaction_id);
      const three = await freshPartner();
      const c = await post(sessionBody({ amount: '300' }), { key: 'shared-key', token: three.client_token });
      expect(c.status).toBe(200);
      expect((await transactionRows(one.partner_id)).map((row) => row.merchant_transaction_id)).toEqual([a.body.merchant_transaction_id]);
      expect((await transactionRows(two.partner_id)).map((row) => row.merchant_transaction_id)).toEqual([b.body.merchant_transaction_id]);
      // GET by id is per partner too.
      const crossRead = await server.getTransaction(a.body.merchant_transaction_id, { token: two.client_token });
      expectError(crossRead, 404, 'not_found', 'not_found');
    });

    it('refuses a key that is not printable ASCII', async () => {
      partner = await freshPartner();
      const refused = expectError(await post(sessionBody(), { key: 'has space' }), 400, 'invalid_request', 'validation_error');
      expect(refused.details).toEqual([{ field: 'Idempotency-Key', issue: 'must be 1–255 printable ASCII characters' }]);
      expect(await transactionRows(partner.partner_id)).toEqual([]);
    });
  });

  describe('partner-supplied merchant_transaction_id', () => {
    it('returns the same session for a repeat, and refuses the id with another body', async () => {
      partner = await freshPartner();
      const body = sessionBody({ merchant_transaction_id: 'order-1001' });
      const first = await post(body);
      expect(first.status).toBe(200);
      expect(first.body.merchant_transaction_id).toBe('order-1001');
      const repeat = await post(body);
      expect(repeat.status).toBe(200);
      expect(replayed(repeat)).toBe(true);
      expect(repeat.body).toEqual(first.body);
      expectError(await post({ ...body, amount: '200' }), 409, 'conflict', 'idempotency_key_reused');
      // With a key as well, the id still decides: the first session comes back.
      const withKey = await post(body, { key: 'key-for-order-1001' });
      expect(withKey.body).toEqual(first.body);
      expect(await transactionRows(partner.partner_id)).toHaveLength(1);
    });

    it('creates one row for concurrent requests with one merchant_transaction_id and no key', async () => {
      partner = await freshPartner();
      const body = sessionBody({ merchant_transaction_id: 'order-concurrent' });
      const results = await Promise.all(Array.from({ length: 10 }, () => post(body)));
      expect(results.map((result) => result.status)).toEqual(Array(10).fill(200));
      expect(new Set(results.map((result) => result.body.merchant_transaction_id))).toEqual(new Set(['order-concurrent']));
      expect(new Set(results.map((result) => result.body.init_token)).size).toBe(1);
      expect(results.filter(replayed)).toHaveLength(9);
      expect((await transactionRows(partner.partner_id)).map((row) => row.merchant_transaction_id)).toEqual(['order-concurrent']);
    });

    it('is unique per partner, not globally', async () => {
      const one = await freshPartner();
      const two = await freshPartner();
      const body = sessionBody({ merchant_transaction_id: 'order-shared' });
      const a = await post(body, { token: one.client_token });
      const b = await post(body, { token: two.client_token });
      expect(replayed(b)).toBe(false);
      expect(b.body.widget_id).toBe(two.widget_id);
      expect(b.body.init_token).not.toBe(a.body.init_token);
      expect(await transactionRows(two.partner_id)).toHaveLength(1);
    });
  });

  describe('a key racing a merchant_transaction_id', () => {
    // Request B (with a key) passes its checks, then waits in pricing while request A (no key) creates
    // the same merchant_transaction_id. B then loses the insert.
    async function race(bodyA: Record<string, unknown>, bodyB: Record<string, unknown>, key: string) {
      const hold = rates.holdNext();
      const pendingB = post(bodyB, { key });
      await hold.arrived;
      const a = await post(bodyA);
      hold.release();
      return { a, b: await pendingB };
    }

    it('answers the loser with the winner’s session and binds its key to that response', async () => {
      partner = await freshPartner();
      const body = sessionBody({ merchant_transaction_id: 'order-race-same' });
      const { a, b } = await race(body, body, 'race-key-same');
      expect(a.status).toBe(200);
      expect(replayed(a)).toBe(false);
      expect(b.status).toBe(200);
      expect(replayed(b)).toBe(true);
      expect(b.body).toEqual(a.body);

      // The key is now used, for that body: the same body replays, another body is refused.
      const retry = await post(body, { key: 'race-key-same' });
      expect(retry.status).toBe(200);
      expect(retry.body.merchant_transaction_id).toBe('order-race-same');
      expectError(
        await post(sessionBody({ merchant_transaction_id: 'order-race-other' }), { key: 'race-key-same' }),
        409,
        'conflict',
        'idempotency_key_reused',
      );
      const keys = await keyRows(partner.partner_id, 'race-key-same');
      expect(keys).toHaveLength(1);
      expect(keys[0]!.response).toMatchObject({ merchant_transaction_id: 'order-race-same' });
      expect((await transactionRows(partner.partner_id)).map((row) => row.merchant_transaction_id)).toEqual(['order-race-same']);
    });

    it('refuses the loser when its body differs, and keeps no record of its key', async () => {
      partner = await freshPartner();
      const { a, b } = await race(
        sessionBody({ merchant_transaction_id: 'order-race-diff' }),
        sessionBody({ merchant_transaction_id: 'order-race-diff', fiat_currency: 'USD' }),
        'race-key-diff',
      );
      expect(a.status).toBe(200);
      expectError(b, 409, 'conflict', 'idempotency_key_reused');
      expect(b.body.message).toBe('This merchant_transaction_id was already used with a different request body.');
      expect(await keyRows(partner.partner_id, 'race-key-diff')).toEqual([]);

      // The failed request left nothing behind: its key works for a new request.
      const next = await post(sessionBody({ merchant_transaction_id: 'order-race-next', fiat_currency: 'USD' }), { key: 'race-key-diff' });
      expect(next.status).toBe(200);
      expect(next.body).toMatchObject({ merchant_transaction_id: 'order-race-next', fiat_amount: '103.00' });
      expect((await transactionRows(partner.partner_id)).map((row) => row.merchant_transaction_id).sort()).toEqual([
        'order-race-diff',
        'order-race-next',
      ]);
    });
  });
});
