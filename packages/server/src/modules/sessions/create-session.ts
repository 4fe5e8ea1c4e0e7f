import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import { ASSETS, FIATS } from '../../lib/catalog.ts';
import { sha256Hex } from '../../lib/crypto.ts';
import { ApiError } from '../../lib/errors.ts';
import { formatAmount } from '../../lib/money.ts';
import type { Platform } from '../../platform.ts';
import { ensureIdentity } from '../kyc/identities.ts';
import type { PartnerRecord } from '../partners/partner-service.ts';
import { allocateDepositAddress } from '../settlement/allocate-deposit-address.ts';
import { assertCanDeliver } from '../settlement/assert-can-deliver.ts';
import { isTerminal } from '../transactions/state-machine.ts';
import { findTransaction, insertTransaction } from '../transactions/transaction-store.ts';
import { claimKey, findStoredResponse, storeResponse } from './idempotency-store.ts';
import { issueInitToken } from './init-token.ts';
import { priceAmount } from './price-amount.ts';
import type { CreateSessionBody, SessionResponse } from './session-schemas.ts';
import { resolveSessionTerms } from './session-terms.ts';
import { signSession } from './signature.ts';

export interface CreateSessionCommand {
  partner: PartnerRecord;
  body: CreateSessionBody;
  /** The request came from a registered browser origin rather than the partner's server. */
  fromBrowser: boolean;
  idempotencyKey: string | undefined;
}

export interface SessionOutcome {
  response: SessionResponse;
  /** True when an earlier response was replayed rather than a new session created. */
  replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Creates a session, or replays the one a retry names (same Idempotency-Key or merchant_transaction_id
 * and the same body). A replay of a session that can no longer be used (its transaction is terminal,
 * or its init_token has expired) answers 409 session_already_used with its state, rather than a
 * fresh-looking 200 carrying a dead token.
 */
export async function createSession(platform: Platform, command: CreateSessionCommand): Promise<SessionOutcome> {
  const outcome = await createOrReplaySession(platform, command);
  if (outcome.replayed) await assertSessionUsable(platform, command.partner.id, outcome.response.merchant_transaction_id);
  return outcome;
}

async function assertSessionUsable(platform: Platform, partnerId: string, merchantTransactionId: string): Promise<void> {
  const transaction = await findTransaction(platform.db, partnerId, merchantTransactionId);
  if (!transaction) return;
  const now = platform.clock.now();
  const expired = new Date(transaction.init_token_expires_at) <= now;
  if (!isTerminal(transaction.status) && !expired) return;
  const state = isTerminal(transaction.status)
    ? `is ${transaction.status}`
    : `is ${transaction.status}, but its init_token expired at ${new Date(transaction.init_token_expires_at).toISOString()}`;
  throw new ApiError(
    'session_already_used',
    `This request repeats session ${merchantTransactionId}, which ${state}; it cannot be used again. Follow the transaction by GET /widget/transactions/{id}, or create a new session with a new Idempotency-Key and merchant_transaction_id.`,
    { details: [{ field: 'merchant_transaction_id', issue: `the session ${state}` }] },
  );
}

async function createOrReplaySession(platform: Platform, command: CreateSessionCommand): Promise<SessionOutcome> {
  const { partner, body, idempotencyKey } = command;
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ApiError('validation_error', 'Idempotency-Key must be 1–255 printable ASCII characters.', {
      details: [{ field: 'Idempotency-Key', issue: 'must be 1–255 printable ASCII characters' }],
    });
  }
  const requestHash = sha256Hex(canonicalJson(body));
  const liveSince = new Date(platform.clock.now().getTime() - platform.config.idempotencyTtlMs);

  // Retries are answered before any pricing work.
  if (idempotencyKey !== undefined) {
    const stored = await findStoredResponse(platform.db, partner.id, idempotencyKey, liveSince);
    if (stored) return replay(stored.requestHash, requestHash, stored.response, 'Idempotency-Key');
  }
  if (body.merchant_transaction_id != null) {
    const existing = await findTransaction(platform.db, partner.id, body.merchant_transaction_id);
    if (existing) return replay(existing.request_hash, requestHash, existing.session, 'merchant_transaction_id');
  }

  const terms = resolveSessionTerms(partner.config, body);
  if (terms.type === 'buy') assertCanDeliver(platform, terms.asset.network);
  // A ProviderError leaves as the documented 502 (http/error-handler.ts); anything else is a bug and a 500.
  const quote =
    terms.given === null
      ? null
      : await priceAmount(platform, {
          config: partner.config,
          type: terms.type,
          asset: terms.asset.currency,
          network: terms.asset.network,
          fiat: terms.fiat,
          given: terms.given,
        });
  const id = randomUUID();
  const merchantTransactionId = body.merchant_transaction_id ?? id;
  const { currency, network } = terms.asset;
  const address =
    terms.buyAddress ??
    (await allocateDepositAddress(platform, { transactionId: id, partnerId: partner.id, merchantTransactionId, currency, network }));
  const identityId = await ensureIdentity(platform, { partnerId: partner.id, partnerUserId: body.partner_user_id, email: body.user_email });

  const now = platform.clock.now();
  // Without an amount the user picks one in the widget: both amounts stay empty until then.
  const amount = quote ? formatAmount(quote.cryptoMinor, ASSETS[terms.asset.currency].decimals) : '';
  const fiatDecimals = FIATS[terms.fiat].decimals;
  const initTokenType = command.fromBrowser ? 'sdk_customer_token' : 'sdk_partner_authorization';
  const { token: initToken, expiresAt } = issueInitToken(
    platform.keys.initToken,
    { sub: merchantTransactionId, tid: id, pid: partner.id, wid: partner.widget_id, typ: initTokenType },
    now,
    platform.config.initTokenTtlMs,
  );
  const response: SessionResponse = {
    merchant_transaction_id: merchantTransactionId,
    widget_id: partner.widget_id,
    address,
    signature: signSession(platform.keys.sessionSignature, {
      address,
      merchant_transaction_id: merchantTransactionId,
      widget_id: partner.widget_id,
      currency: terms.asset.currency,
      network: terms.asset.network,
      amount,
      type: terms.type,
      client_ip: terms.clientIp,
    }),
    init_token: initToken,
    init_token_type: initTokenType,
    currency: terms.asset.currency,
    currencies: [...new Set(partner.config.assets.map((asset) => asset.currency))],
    fix_currency: true,
    network: terms.asset.network,
    networks: partner.config.assets.filter((asset) => asset.currency === terms.asset.currency).map((asset) => asset.network),
    fix_network: [terms.asset.network],
    amount,
    fix_amount: terms.given !== null && 'crypto' in terms.given,
    fiat_currency: terms.fiat,
    fiat_currencies: terms.type === 'sell' ? partner.config.sell.fiat_currencies : partner.config.fiat_currencies,
    fix_fiat_currency: false,
    fiat_amount: quote ? formatAmount(quote.fiatMinor, fiatDecimals, fiatDecimals) : '',
    fix_fiat_amount: terms.given !== null && 'fiat' in terms.given,
    type: terms.type,
    lang: partner.config.widget.lang,
    theme: partner.config.widget.theme,
    redirect_url: terms.redirectUrl,
    widget_url: `${platform.config.publicUrl}/widget.2.0.js`,
  };
  const row = {
    id,
    partner_id: partner.id,
    merchant_transaction_id: merchantTransactionId,
    identity_id: identityId,
    partner_user_id: body.partner_user_id,
    type: terms.type,
    status: 'pending' as const,
    failure_reason: null,
    currency: terms.asset.currency,
    network: terms.asset.network,
    address,
    quote_crypto_minor: quote?.cryptoMinor.toString() ?? null,
    fiat_currency: terms.fiat,
    quote_fiat_minor: quote?.fiatMinor.toString() ?? null,
    fee_fiat_minor: quote?.feeFiatMinor.toString() ?? null,
    network_fee_crypto_minor: quote?.networkFeeCryptoMinor.toString() ?? null,
    rate: quote?.rate ?? null,
    quote_expires_at: quote ? new Date(now.getTime() + platform.config.quoteTtlMs) : null,
    settled_crypto_minor: null,
    payment_method: null,
    client_ip: terms.clientIp,
    request_hash: requestHash,
    session: JSON.stringify(response),
    init_token_expires_at: expiresAt,
    version: 1,
    created_at: now,
    updated_at: now,
  };

  if (idempotencyKey === undefined) {
    if (await insertTransaction(platform.db, row)) return { response, replayed: false };
    return replayExisting(platform.db, partner.id, merchantTransactionId, requestHash);
  }

  const outcome = await platform.db.transaction().execute(async (trx) => {
    const claim = { partnerId: partner.id, key: idempotencyKey, requestHash, now, liveSince };
    if (!(await claimKey(trx, claim))) return 'key-taken' as const;
    if (!(await insertTransaction(trx, row))) {
      // A concurrent request created this merchant_transaction_id first. Its session is this request's
      // result, and the key keeps it; a different body throws 409 here, rolling the key claim back so a
      // failed request leaves no record (a claimed key without a response would answer 500 forever).
      const existing = await replayExisting(trx, partner.id, merchantTransactionId, requestHash);
      await storeResponse(trx, partner.id, idempotencyKey, existing.response);
      return existing;
    }
    await storeResponse(trx, partner.id, idempotencyKey, response);
    return 'created' as const;
  });
  if (outcome === 'created') return { response, replayed: false };
  if (outcome !== 'key-taken') return outcome;
  const stored = await findStoredResponse(platform.db, partner.id, idempotencyKey, liveSince);
  if (!stored) throw new Error('idempotency key claimed by a request that left no response');
  return replay(stored.requestHash, requestHash, stored.response, 'Idempotency-Key');
}

async function replayExisting(db: Db, partnerId: string, merchantTransactionId: string, requestHash: string): Promise<SessionOutcome> {
  const existing = await findTransaction(db, partnerId, merchantTransactionId);
  if (!existing) throw new Error('transaction vanished after a unique conflict');
  return replay(existing.request_hash, requestHash, existing.session, 'merchant_transaction_id');
}

function replay(storedHash: string, requestHash: string, response: Record<string, unknown>, by: string): SessionOutcome {
  if (storedHash !== requestHash) {
    throw new ApiError('idempotency_key_reused', `This ${by} was already used with a different request body.`);
  }
  return { response: response as SessionResponse, replayed: true };
}

/** JSON with sorted keys and absent/null fields dropped, so equal requests hash equally. */
function canonicalJson(body: CreateSessionBody): string {
  const entries = Object.entries(body).filter(([, value]) => value !== undefined && value !== null);
  entries.sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify(Object.fromEntries(entries));
}
