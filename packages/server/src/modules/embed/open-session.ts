import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { verifyInitToken } from '../sessions/init-token.ts';
import { type SignedSessionFields, verifySessionSignature } from '../sessions/signature.ts';
import { isTerminal } from '../transactions/state-machine.ts';
import { findTransactionById } from '../transactions/transaction-store.ts';
import { recordOpening } from './embed-session-store.ts';
import { decodeExpiry, issueWidgetCredential, verifyWidgetCredential } from './widget-credential.ts';

/** What the loader passes on from the session response: the parameters the signature covers, and the token. */
export interface OpenRequest {
  init_token: string;
  widget_id: string;
  signature: string;
  merchant_transaction_id: string;
  address: string;
  currency: string;
  network: string;
  amount: string;
  type: 'buy' | 'sell';
}

export interface OpenedSession {
  credential: string;
  credential_expires_at: string;
  merchant_transaction_id: string;
  transactionId: string;
  partnerId: string;
}

const SIGNED: ReadonlyArray<keyof OpenRequest & keyof SignedSessionFields> = [
  'address',
  'merchant_transaction_id',
  'widget_id',
  'currency',
  'network',
  'amount',
  'type',
];

/**
 * Exchanges a session's init_token for the iframe's widget credential, once. The token must be
 * genuine, unexpired and issued for this widget; the parameters must be exactly the ones the
 * session signed (a changed address or amount is refused, naming the field); the transaction must
 * not be terminal. A second exchange of the same session answers 409 session_already_used: the
 * iframe keeps its credential for reloads.
 */
export async function openEmbedSession(
  platform: Platform,
  request: OpenRequest,
  /** The credential this browser was given at the first opening (its partitioned cookie), if it sent it. */
  resumeWith: (transactionId: string) => string | undefined = () => undefined,
): Promise<OpenedSession> {
  const now = platform.clock.now();
  let claims: Awaited<ReturnType<typeof verifyInitToken>>;
  try {
    claims = await verifyInitToken(platform.keys.initToken, request.init_token, now);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED') {
      throw new ApiError('session_already_used', 'This session’s init_token has expired; ask the partner for a new session.');
    }
    throw new ApiError('invalid_token', 'The init_token is not one this platform issued.');
  }
  if (claims.wid !== request.widget_id) {
    throw new ApiError('invalid_signature', 'widget_id does not match the session.', {
      details: [{ field: 'widget_id', issue: 'is not the widget this session was created for' }],
    });
  }
  const transaction = await findTransactionById(platform.db, claims.pid, claims.tid);
  if (!transaction || transaction.merchant_transaction_id !== claims.sub) throw new ApiError('not_found', 'No such session.');

  const signed: SignedSessionFields = {
    address: request.address,
    merchant_transaction_id: request.merchant_transaction_id,
    widget_id: request.widget_id,
    currency: request.currency,
    network: request.network,
    amount: request.amount,
    type: request.type,
    client_ip: transaction.client_ip,
  };
  if (!verifySessionSignature(platform.keys.sessionSignature, signed, request.signature)) {
    // Name what differs from the session as created, so a partner's bug is quick to find.
    const original = transaction.session as Record<string, unknown>;
    const changed = SIGNED.filter((field) => String(original[field] ?? '') !== request[field]);
    throw new ApiError('invalid_signature', 'The session parameters do not match their signature.', {
      details: (changed.length > 0 ? changed : ['signature']).map((field) => ({ field, issue: 'does not match the session' })),
    });
  }
  if (isTerminal(transaction.status)) {
    throw new ApiError('session_already_used', `This session's transaction is ${transaction.status}; it cannot be opened again.`);
  }

  const { token, expiresAt } = issueWidgetCredential(
    platform.keys.widgetCredential,
    { tid: transaction.id, pid: transaction.partner_id, sub: transaction.merchant_transaction_id },
    now,
    platform.config.widgetCredentialTtlMs,
  );
  const first = await recordOpening(platform.db, {
    transactionId: transaction.id,
    partnerId: transaction.partner_id,
    now,
    credentialExpiresAt: expiresAt,
  });
  if (!first) {
    // A reload in the browser that opened it: it proves so with the credential it was given (kept in
    // a partitioned cookie, which third-party iframes keep where they get no storage). Anyone else
    // holding the init_token gets nothing.
    const held = resumeWith(transaction.id);
    const claimsHeld = held ? await verifyWidgetCredential(platform.keys.widgetCredential, held, now).catch(() => null) : null;
    if (!held || claimsHeld?.tid !== transaction.id) {
      throw new ApiError('session_already_used', 'This session was already opened; only the browser that opened it may open it again.');
    }
    return {
      credential: held,
      credential_expires_at: new Date((decodeExpiry(held) ?? 0) * 1000).toISOString(),
      merchant_transaction_id: transaction.merchant_transaction_id,
      transactionId: transaction.id,
      partnerId: transaction.partner_id,
    };
  }
  return {
    credential: token,
    credential_expires_at: expiresAt.toISOString(),
    merchant_transaction_id: transaction.merchant_transaction_id,
    transactionId: transaction.id,
    partnerId: transaction.partner_id,
  };
}
