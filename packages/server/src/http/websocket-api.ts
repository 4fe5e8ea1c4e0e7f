import websocketPlugin from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { ApiError } from '../lib/errors.ts';
import type { TransactionEvent } from '../modules/delivery/event-bus.ts';
import { getKycStatus } from '../modules/kyc/identity-store.ts';
import { authenticatePartner, type CallerContext } from '../modules/partners/authenticate.ts';
import { isTerminal } from '../modules/transactions/state-machine.ts';
import { findTransaction, listRecentTransactionsOfUser, type TransactionRow } from '../modules/transactions/transaction-store.ts';
import { toUpdateMessage } from '../modules/transactions/transaction-view.ts';
import type { Platform } from '../platform.ts';
import type { FailedAuthThrottle } from './failed-auth-throttle.ts';
import { FanOut, type Outlet, PreparedMessage } from './ws-fan-out.ts';

/** Close codes partners can act on. */
export const CLOSE = {
  done: 1000, // the transaction reached a terminal status
  badRequest: 4400, // neither tx_id nor user_id
  unauthorised: 4401, // missing, unknown or expired token; origin or IP not allowed
  notFound: 4404, // unknown (or another partner's) transaction or user
  tooMany: 4429, // too many open connections for this token, or too many failed authentications from this address
  tooSlow: 4408, // the client does not read its messages
  restart: 1012, // the node lost its event feed for a moment: reconnect to resync
} as const;

/** A ?user_id= subscription starts with this many of the user's most recent transactions. */
const USER_SNAPSHOT_LIMIT = 500;

/** A client that lets this much pile up unread is dropped instead of slowing the others. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** How long a client dropped for not reading has to read what waits, the 4408 close last, before it is cut off. */
const SLOW_CLOSE_GRACE_MS = 10_000;

interface Subscriber extends Outlet {
  partnerId: string;
  /** How the socket authenticated, to check it again when the partner's access changes. */
  caller: CallerContext;
  tokenHash: string;
  /** Epoch milliseconds at which the token stops working (a rotation's grace period); null: it does not expire. */
  tokenExpiresAt: number | null;
  /** The merchant_transaction_id for ?tx_id=…, null for ?user_id=… */
  merchantTransactionId: string | null;
  partnerUserId: string | null;
  /**
   * Highest seq sent per transaction whose state was read for the subscriber (its snapshot): an event
   * committed before that read may arrive after it, and must not be sent again. Only those are kept,
   * so the map stays as small as the snapshot: every other event arrives once, in commit order (the
   * bus delivers in that order, and a transaction's changes commit in seq order under its row lock;
   * a bus that lost events makes every subscriber reconnect), so it has nothing to be checked against.
   */
  sent: Map<string, number>;
  /** Events that arrived while the current state was being read; sent right after it. */
  pending: TransactionEvent[] | null;
}

/**
 * GET /ws: `?tx_id=` (one transaction) or `?user_id=` (every transaction of a user), authenticated
 * on the upgrade by `Authorization: Bearer` or, for the older form, `?token=`. The current state is
 * sent first, then a `tx.update` for every change, from whichever node made it.
 */
export async function registerWebSocket(app: FastifyInstance, platform: Platform, throttle: FailedAuthThrottle): Promise<() => void> {
  await app.register(websocketPlugin, {
    options: { maxPayload: 4096 },
    // A client breaking the protocol (an oversized or malformed frame) is the client's fault, and
    // anyone can do it before authenticating: ws has already closed the socket with the right code
    // (1009, 1002 …), so it gets a short debug line, not an error with a stack. Anything else is ours.
    errorHandler: (error, socket, request) => {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
        request.log.debug({ code, reason: error.message }, 'websocket client broke the protocol');
        return;
      }
      request.log.error({ err: error }, 'websocket connection failed');
      socket.terminate();
    },
  });
  const subscribers = new Set<Subscriber>();
  /** Subscribers by what they follow (subscriptionKey): a change finds its subscribers without looking at the others. */
  const following = new Map<string, Set<Subscriber>>();
  const perToken = new Map<string, number>();
  // Sends in slices that yield to other work, each message encoded once for all its subscribers.
  const fanOut = new FanOut({
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    slowCode: CLOSE.tooSlow,
    slowGraceMs: SLOW_CLOSE_GRACE_MS,
    onError: (error) => platform.logger.error({ err: error }, 'websocket fan-out failed'),
  });

  // Finding a change's subscribers runs in the fan-out's slices too, in the order changes arrive: a
  // batch of changes (one NOTIFY chunk) does not fill thousands of outboxes in one go. A subscriber
  // that joins meanwhile is no problem: it reads the current state after subscribing, and the
  // per-transaction sequence check drops whatever it already has.
  const unsubscribe = platform.bus.subscribe((event) => fanOut.run(() => route(event)));

  function route(event: TransactionEvent): void {
    let message: PreparedMessage | undefined;
    const merchantTransactionId = event.message.merchant_transaction_id;
    for (const key of [
      typeof merchantTransactionId === 'string' ? subscriptionKey(event.partnerId, 'tx', merchantTransactionId) : null,
      subscriptionKey(event.partnerId, 'user', event.partnerUserId),
    ]) {
      for (const subscriber of (key !== null && following.get(key)) || []) {
        if (subscriber.pending) subscriber.pending.push(event);
        else deliver(subscriber, event, (message ??= new PreparedMessage(JSON.stringify(event.message))));
      }
    }
  }

  // Events may have been missed: every subscriber reconnects and gets the current state first.
  const unsubscribeResets = platform.bus.onReset(() => {
    for (const subscriber of subscribers) subscriber.socket.close(CLOSE.restart, 'resubscribe');
  });

  // A partner disabled, a token revoked or rotated, origins or IP allowlist edited, on any node:
  // check that partner's sockets again now, rather than leave them open on what they proved earlier.
  const unsubscribeAccess = platform.bus.onAccessChange((partnerId) => {
    void recheckAccess([...subscribers].filter((subscriber) => subscriber.partnerId === partnerId));
  });

  async function recheckAccess(affected: Subscriber[]): Promise<void> {
    // One database read per token: the first check of each token fills the cache the others use.
    const byToken = Map.groupBy(affected, (subscriber) => subscriber.tokenHash);
    for (const group of byToken.values()) {
      for (const subscriber of group) {
        if (subscriber.socket.readyState !== subscriber.socket.OPEN) continue;
        try {
          subscriber.tokenExpiresAt = (await authenticatePartner(platform, subscriber.caller)).tokenExpiresAt;
        } catch (error) {
          if (error instanceof ApiError) subscriber.socket.close(CLOSE.unauthorised, error.code);
          else platform.logger.warn({ err: error }, 'could not re-check a websocket after an access change; it stays open');
        }
      }
    }
  }

  app.get('/ws', { websocket: true, schema: { hide: true } }, (socket, request) => {
    void open(socket, request);
  });

  async function open(socket: WebSocket, request: FastifyRequest): Promise<void> {
    const query = readQuery(request.query);
    if (query === null) return socket.close(CLOSE.badRequest, 'tx_id, user_id and token must be single printable values');
    let partnerId: string;
    let tokenHash: string;
    let tokenExpiresAt: number | null;
    const authorization = request.headers.authorization ?? (query.token ? `Bearer ${query.token}` : undefined);
    const caller: CallerContext = { authorization, origin: request.headers.origin, ip: request.ip };
    try {
      const auth = await throttle.authenticate(platform, caller);
      partnerId = auth.partner.id;
      tokenHash = auth.tokenHash;
      tokenExpiresAt = auth.tokenExpiresAt;
    } catch (error) {
      const code = error instanceof ApiError ? error.code : 'unauthorised';
      socket.close(code === 'rate_limit_exceeded' ? CLOSE.tooMany : CLOSE.unauthorised, code);
      return;
    }
    // A client gone while it was being authenticated has already had its close event: counting it
    // now would hold its token's slot (and a subscriber) for good.
    if (socket.readyState !== socket.OPEN) return;
    const open = perToken.get(tokenHash) ?? 0;
    if (open >= platform.config.wsMaxConnectionsPerToken) {
      socket.close(CLOSE.tooMany, 'too many connections for this token');
      return;
    }
    perToken.set(tokenHash, open + 1);
    // Subscribed before the current state is read, so a change committed meanwhile is queued, not lost.
    const subscriber: Subscriber = {
      socket,
      partnerId,
      caller,
      tokenHash,
      tokenExpiresAt,
      merchantTransactionId: query.tx_id ?? null,
      partnerUserId: query.tx_id ? null : (query.user_id ?? null),
      sent: new Map(),
      pending: [],
      outbox: [],
      queued: false,
      closeAfter: null,
    };
    const key =
      query.tx_id !== undefined ? subscriptionKey(partnerId, 'tx', query.tx_id) : subscriptionKey(partnerId, 'user', query.user_id ?? '');
    subscribers.add(subscriber);
    platform.metrics.websocketConnections.inc();
    let followers = following.get(key);
    if (!followers) following.set(key, (followers = new Set()));
    followers.add(subscriber);
    socket.on('close', () => {
      subscribers.delete(subscriber);
      platform.metrics.websocketConnections.dec();
      followers.delete(subscriber);
      if (followers.size === 0 && following.get(key) === followers) following.delete(key);
      const left = (perToken.get(tokenHash) ?? 1) - 1;
      if (left <= 0) perToken.delete(tokenHash);
      else perToken.set(tokenHash, left);
    });
    keepAlive(socket, platform.config.wsPingIntervalMs, () => {
      // A rotated token's grace period ends while its sockets are open: they end with it.
      if (subscriber.tokenExpiresAt !== null && subscriber.tokenExpiresAt <= platform.clock.now().getTime()) {
        socket.close(CLOSE.unauthorised, 'invalid_token');
      }
    });

    try {
      if (query.tx_id) {
        const row = await findTransaction(platform.db, partnerId, query.tx_id);
        if (!row) return socket.close(CLOSE.notFound, 'not_found');
        sendState(subscriber, row);
        if (isTerminal(row.status)) return fanOut.closeWhenSent(subscriber, CLOSE.done, row.status);
      } else if (query.user_id) {
        if (!(await getKycStatus(platform.db, { partnerId, partnerUserId: query.user_id })))
          return socket.close(CLOSE.notFound, 'not_found');
        const rows = await listRecentTransactionsOfUser(platform.db, partnerId, query.user_id, USER_SNAPSHOT_LIMIT);
        for (const row of rows) sendState(subscriber, row);
      } else {
        return socket.close(CLOSE.badRequest, 'tx_id or user_id is required');
      }
      const queued = subscriber.pending ?? [];
      subscriber.pending = null;
      for (const event of queued) deliver(subscriber, event, new PreparedMessage(JSON.stringify(event.message)));
    } catch (error) {
      platform.logger.error({ err: error }, 'websocket subscription failed');
      socket.close(1011, 'internal_error');
    }
  }

  function deliver(subscriber: Subscriber, event: TransactionEvent, message: PreparedMessage): void {
    if (!send(subscriber, event.transactionId, event.seq, message)) return;
    if (event.terminal && subscriber.merchantTransactionId !== null)
      fanOut.closeWhenSent(subscriber, CLOSE.done, String(event.message.status));
  }

  /** Queues a transaction's current state (read for this subscriber), remembering its seq against later arrivals of older events. */
  function sendState(subscriber: Subscriber, row: TransactionRow): void {
    if (!subscriber.sent.has(row.id)) subscriber.sent.set(row.id, 0);
    send(subscriber, row.id, row.version, new PreparedMessage(JSON.stringify(toUpdateMessage(row, row.updated_at))));
  }

  /** Queues the message unless this subscriber already has it or a later one of its transaction; true when queued. */
  function send(subscriber: Subscriber, transactionId: string, seq: number, message: PreparedMessage): boolean {
    const { socket } = subscriber;
    if (socket.readyState !== socket.OPEN || subscriber.closeAfter !== null) return false;
    const known = subscriber.sent.get(transactionId);
    if (known !== undefined) {
      if (known >= seq) return false;
      subscriber.sent.set(transactionId, seq);
    }
    fanOut.enqueue(subscriber, message);
    return true;
  }

  return () => {
    unsubscribe();
    unsubscribeResets();
    unsubscribeAccess();
  };
}

/** What a subscription follows: one transaction of a partner, or every transaction of one of its users. */
function subscriptionKey(partnerId: string, kind: 'tx' | 'user', id: string): string {
  // Query values never hold control characters (QUERY_VALUE), so the separator cannot be forged.
  return `${partnerId}\u0000${kind}\u0000${id}`;
}

const QUERY_VALUE = /^[^\u0000-\u001f\u007f]{1,128}$/;

/** The subscription parameters, or null when any is repeated, too long or not printable. */
function readQuery(raw: unknown): { tx_id?: string; user_id?: string; token?: string } | null {
  const query = (raw ?? {}) as Record<string, unknown>;
  const out: { tx_id?: string; user_id?: string; token?: string } = {};
  for (const name of ['tx_id', 'user_id', 'token'] as const) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !QUERY_VALUE.test(value)) return null;
    out[name] = value;
  }
  return out;
}

/** Pings on an interval; a peer that did not answer the previous ping is cut off. `onTick` runs first, each time. */
function keepAlive(socket: WebSocket, intervalMs: number, onTick: () => void): void {
  let alive = true;
  socket.on('pong', () => (alive = true));
  const timer = setInterval(() => {
    onTick();
    if (socket.readyState !== socket.OPEN) return;
    if (!alive) return socket.terminate();
    alive = false;
    socket.ping();
  }, intervalMs);
  timer.unref();
  socket.on('close', () => clearInterval(timer));
}
