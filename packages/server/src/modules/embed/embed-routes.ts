import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { ASSETS, type Asset, FIATS, type Fiat, type Network } from '../../lib/catalog.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { AmountError, parseAmount } from '../../lib/money.ts';
import { errorResponses, OptionalAmount, Text } from '../../lib/route-schemas.ts';
import type { Platform } from '../../platform.ts';
import { getPartner } from '../partners/partner-service.ts';
import { paymentInFlight } from '../payments/payment-service.ts';
import { priceAmount } from '../sessions/price-amount.ts';
import type { AmountGiven } from '../sessions/session-terms.ts';
import { depositArrived } from '../settlement/off-ramp-service.ts';
import { changeStatus, IllegalTransitionError } from '../transactions/change-status.ts';
import { lockQuote, lockTransaction } from '../transactions/transaction-store.ts';
import { followEmbedState } from './embed-events.ts';
import { loadEmbedState, loadTransaction } from './embed-state-loader.ts';
import { openEmbedSession } from './open-session.ts';
import { registerPayoutRoutes } from './payout-routes.ts';
import { registerVerificationAndPaymentRoutes } from './step-routes.ts';
import type { WidgetCredentialClaims } from './widget-credential.ts';

const OpenBody = Type.Object(
  {
    init_token: Text(4096),
    widget_id: Text(64),
    signature: Text(200),
    merchant_transaction_id: Text(100),
    address: Type.String({ maxLength: 128 }),
    currency: Text(16),
    network: Text(16),
    amount: Type.String({ maxLength: 64, description: 'The session’s amount as returned (empty when the user picks it).' }),
    type: Type.Enum(['buy', 'sell']),
  },
  { additionalProperties: false },
);

const QuoteBody = Type.Object(
  { amount: OptionalAmount('Crypto amount the user picked.'), fiat_amount: OptionalAmount('Fiat amount the user picked.') },
  { additionalProperties: false },
);

const embedSchema = (summary: string, extra: Record<string, unknown> = {}) => ({
  summary,
  tags: ['embed'],
  security: [{ widgetCredential: [] }],
  ...extra,
});

export const claimsOf = (request: FastifyRequest): WidgetCredentialClaims => request.embed as WidgetCredentialClaims;

/** The routes of the embed API (mounted under the guard in http/embed-api.ts). */
export function registerEmbedRoutes(app: FastifyInstance, platform: Platform): void {
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...openStreams]) close();
  });
  app.post<{ Body: Static<typeof OpenBody> }>(
    '/sessions/open',
    {
      schema: {
        summary: 'Open a session: exchange its init_token, once, for the widget credential',
        tags: ['embed'],
        body: OpenBody,
        response: { ...errorResponses(400, 401, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const opened = await openEmbedSession(platform, request.body, (transactionId) =>
        readCookie(request.headers.cookie, cookieName(transactionId)),
      );
      // The browser keeps the credential for reloads in a partitioned cookie: a third-party iframe
      // gets one (per top-level site) even where its storage and ordinary cookies are blocked. Only
      // this route reads it, and only to let the same browser open the session again.
      const maxAge = Math.max(0, Math.floor((Date.parse(opened.credential_expires_at) - platform.clock.now().getTime()) / 1000));
      reply.header(
        'set-cookie',
        `${cookieName(opened.transactionId)}=${opened.credential}; Path=/embed/v1/sessions/open; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=None; Partitioned`,
      );
      const state = await loadEmbedState(platform, {
        tid: opened.transactionId,
        pid: opened.partnerId,
        sub: opened.merchant_transaction_id,
      });
      return { credential: opened.credential, credential_expires_at: opened.credential_expires_at, state };
    },
  );

  app.get('/session', { schema: embedSchema('The session’s state and the step to show') }, async (request) =>
    loadEmbedState(platform, claimsOf(request)),
  );

  app.post<{ Body: Static<typeof QuoteBody> }>(
    '/session/quote',
    {
      schema: embedSchema('Lock a quote: the amount the user picked, or fresh prices for the same amount', {
        description: 'An empty body ({}) prices the same amount again; `amount` or `fiat_amount` sets the one the user picked.',
        body: QuoteBody,
        response: { ...errorResponses(400, 401, 409, 429, 502) },
      }),
    },
    async (request) => {
      const claims = claimsOf(request);
      const transaction = await loadTransaction(platform, claims);
      if (transaction.status !== 'pending') throw new ApiError('session_already_used', `The transaction is ${transaction.status}.`);
      const session = transaction.session as Record<string, unknown>;
      const asset = transaction.currency as Asset;
      const fiat = transaction.fiat_currency as Fiat;
      const picked = pickedAmount(request.body, asset, fiat);
      if (picked && (session.fix_amount === true || session.fix_fiat_amount === true)) {
        throw invalidField(picked.field, 'the partner fixed the amount of this session; refresh the quote without one');
      }
      const given =
        picked?.given ??
        (transaction.quote_crypto_minor === null
          ? null
          : session.fix_fiat_amount === true && transaction.quote_fiat_minor !== null
            ? { fiat: BigInt(transaction.quote_fiat_minor) }
            : { crypto: BigInt(transaction.quote_crypto_minor) });
      if (given === null) {
        throw new ApiError('missing_param', 'Pick an amount: amount or fiat_amount.', {
          details: [{ field: 'amount', issue: 'is required' }],
        });
      }
      const partner = await getPartner(platform, transaction.partner_id);
      const priced = await priceAmount(platform, {
        config: partner.config,
        type: transaction.type,
        asset,
        network: transaction.network as Network,
        fiat,
        given,
        ...(picked ? { amountField: picked.field } : {}),
      });
      const now = platform.clock.now();
      // Under the transaction row's lock, which startPayment takes first: no payment can start at the
      // old quote while the new one is written, and none may be under way.
      const locked = await platform.db.transaction().execute(async (trx) => {
        const current = await lockTransaction(trx, { id: transaction.id });
        if (current?.status !== 'pending') return false;
        if (await paymentInFlight(trx, transaction.id)) {
          throw new ApiError('payment_in_progress', 'A payment is being taken at the current quote; wait for its outcome.');
        }
        if (transaction.type === 'sell' && (await depositArrived(trx, transaction.id))) {
          throw new ApiError('deposit_received', 'Crypto has arrived for this sell: its amount can no longer change.');
        }
        return lockQuote(trx, {
          id: transaction.id,
          now,
          quote: {
            cryptoMinor: priced.cryptoMinor,
            fiatMinor: priced.fiatMinor,
            feeFiatMinor: priced.feeFiatMinor,
            networkFeeCryptoMinor: priced.networkFeeCryptoMinor,
            rate: priced.rate,
            expiresAt: new Date(now.getTime() + platform.config.quoteTtlMs),
          },
        });
      });
      if (!locked) throw new ApiError('session_already_used', 'The transaction is no longer pending.');
      return loadEmbedState(platform, claims);
    },
  );

  app.post('/session/cancel', { schema: embedSchema('Cancel the transaction (the user closed the flow)') }, async (request) => {
    const claims = claimsOf(request);
    // Crypto that arrived makes a sell the platform's to settle: it is paid out or given back, not cancelled.
    if (await depositArrived(platform.db, claims.tid)) {
      throw new ApiError('deposit_received', 'Crypto has arrived for this sell; it can no longer be cancelled.');
    }
    try {
      await changeStatus(platform, { partnerId: claims.pid, merchantTransactionId: claims.sub, to: 'cancelled', reason: 'user_cancelled' });
    } catch (error) {
      if (!(error instanceof IllegalTransitionError)) throw error;
      throw new ApiError('session_already_used', `It can no longer be cancelled: ${error.message}.`);
    }
    return loadEmbedState(platform, claims);
  });

  app.get(
    '/session/events',
    { schema: embedSchema('Live state as Server-Sent Events (`state` events, the first at once)') },
    async (request, reply) => followEmbedState(platform, claimsOf(request), request, reply, openStreams),
  );

  registerVerificationAndPaymentRoutes(app, platform);
  registerPayoutRoutes(app, platform);
}

/** The amount the user picked, if any: one of amount (crypto) or fiat_amount, parsed to minor units. */
function pickedAmount(body: Static<typeof QuoteBody>, asset: Asset, fiat: Fiat): { field: string; given: AmountGiven } | null {
  const { amount, fiat_amount: fiatAmount } = body;
  if (amount != null && fiatAmount != null) throw invalidField('fiat_amount', 'send either amount or fiat_amount, not both');
  const parse = (field: string, text: string, decimals: number) => {
    try {
      const minor = parseAmount(text, decimals);
      if (minor <= 0n) throw invalidField(field, 'must be greater than zero');
      return minor;
    } catch (error) {
      if (error instanceof AmountError) throw invalidField(field, error.issue);
      throw error;
    }
  };
  if (amount != null) return { field: 'amount', given: { crypto: parse('amount', amount, ASSETS[asset].decimals) } };
  if (fiatAmount != null) return { field: 'fiat_amount', given: { fiat: parse('fiat_amount', fiatAmount, FIATS[fiat].decimals) } };
  return null;
}

const cookieName = (transactionId: string) => `proof_widget_${transactionId}`;

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
