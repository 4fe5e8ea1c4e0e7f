import WebSocket from 'ws';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import { FATAL_CLOSE_CODES, ProofRampError, ProofRampSubscriptionError } from './proof-ramp-error.ts';
import { isTerminalStatus, type Transaction, type TransactionUpdate } from './types.ts';

/** One transaction (current docs) or every transaction of one of your users (older docs). */
export type SubscriptionTarget = { txId: string } | { userId: string };

export interface UpdateInfo {
  /** How the update arrived: pushed over the WebSocket or found by the polling fallback. */
  source: 'websocket' | 'poll';
}

export interface SubscriptionOptions {
  /** Called once per (merchant_transaction_id, status), never with an older status after a newer one. */
  onUpdate: (update: TransactionUpdate, info: UpdateInfo) => void | Promise<void>;
  /** The error that ended the subscription (4401, 4404, or 401/403/404 while polling), or one thrown by onUpdate. */
  onError?: (error: unknown) => void;
  /** Aborting it closes the subscription. */
  signal?: AbortSignal;
  /** Polling while disconnected; default 5000, kept within 5–10 s (see minPollIntervalMs). */
  pollIntervalMs?: number;
  /** Reconnect backoff; default 500 ms doubling up to 30 s, with jitter. */
  reconnect?: Partial<BackoffOptions>;
  /**
   * A connection that brings neither a message nor a ping for this long is taken for dead and
   * replaced. Default 90 s (the server pings every 30 s by default).
   */
  heartbeatTimeoutMs?: number;
}

export interface SubscriptionEnd {
  /** terminal: a { txId } subscription saw its final status; closed: you closed it; error: see `error`. */
  reason: 'terminal' | 'closed' | 'error';
  error?: unknown;
}

export interface Subscription {
  /** Stops reconnecting and polling and closes the socket; resolves like `done`. */
  close(): Promise<SubscriptionEnd>;
  /** Resolves (never rejects) once the subscription has ended and its socket is closed. */
  done: Promise<SubscriptionEnd>;
}

export interface SubscriptionContext {
  baseUrl: string;
  clientToken: string;
  pollIntervalMs: number;
  fetchTransaction: (merchantTransactionId: string) => Promise<Transaction>;
}

/** Status order, so a late poll answer never reports processing after completed. */
const RANK: Record<string, number> = { pending: 0, processing: 1, completed: 2, failed: 2, cancelled: 2 };
const FINAL_RANK = 2;
const DEFAULT_RECONNECT: BackoffOptions = { baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * GET /ws with `Authorization: Bearer`. The server sends the current state first, then every change,
 * so a reconnect misses nothing. While disconnected, it reconnects with capped exponential backoff
 * and polls GET /widget/transactions/{id} (for { userId }: the ids seen so far). Updates are
 * de-duplicated by (merchant_transaction_id, status). A { txId } subscription ends after the final
 * status; 4401 and 4404 end it with a ProofRampSubscriptionError.
 */
export function subscribe(context: SubscriptionContext, target: SubscriptionTarget, options: SubscriptionOptions): Subscription {
  const txId = 'txId' in target ? target.txId : null;
  const query =
    txId !== null ? `tx_id=${encodeURIComponent(txId)}` : `user_id=${encodeURIComponent((target as { userId: string }).userId)}`;
  const url = `${context.baseUrl.replace(/^http/, 'ws')}/ws?${query}`;
  const reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 90_000;
  const ranks = new Map<string, number>();
  const delivered = new Set<string>();

  let socket: WebSocket | null = null;
  let failures = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let polling = false;
  let pollGeneration = 0;
  let ended = false;
  let resolveDone!: (end: SubscriptionEnd) => void;
  const done = new Promise<SubscriptionEnd>((resolve) => (resolveDone = resolve));

  function connect(): void {
    if (ended) return;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${context.clientToken}` }, handshakeTimeout: 10_000 });
    socket = ws;
    let greeted = false;
    let heartbeat: NodeJS.Timeout | undefined;
    const alive = () => {
      clearTimeout(heartbeat);
      heartbeat = setTimeout(() => ws.terminate(), heartbeatTimeoutMs);
    };
    ws.on('error', () => {}); // the close event that always follows decides what to do
    ws.on('open', alive);
    ws.on('ping', alive);
    ws.on('message', (data) => {
      alive();
      if (!greeted) {
        // The first message is the current state: the subscription is live, so stop polling.
        greeted = true;
        failures = 0;
        stopPolling();
      }
      let message: TransactionUpdate;
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      if (message?.event === 'tx.update') accept(message, 'websocket');
    });
    ws.on('close', (code, reason) => {
      clearTimeout(heartbeat);
      if (socket === ws) socket = null;
      if (ended) return;
      if (code in FATAL_CLOSE_CODES) return fail(new ProofRampSubscriptionError(code, reason.toString()));
      if (code === 1000 && txId !== null && ranks.get(txId) === FINAL_RANK) return finish({ reason: 'terminal' });
      scheduleReconnect();
      startPolling();
    });
  }

  function scheduleReconnect(): void {
    if (ended || reconnectTimer) return;
    failures++;
    reconnectTimer = setTimeout(
      () => {
        reconnectTimer = undefined;
        connect();
      },
      backoffDelay(failures, reconnect),
    );
  }

  function startPolling(): void {
    if (polling || ended) return;
    polling = true;
    const generation = ++pollGeneration;
    pollTimer = setTimeout(() => void poll(generation), context.pollIntervalMs);
  }

  function stopPolling(): void {
    polling = false;
    pollGeneration++;
    clearTimeout(pollTimer);
  }

  async function poll(generation: number): Promise<void> {
    const ids = txId !== null ? [txId] : [...ranks].filter(([, rank]) => rank < FINAL_RANK).map(([id]) => id);
    for (const id of ids) {
      try {
        const transaction = await context.fetchTransaction(id);
        if (generation !== pollGeneration) return;
        accept(toUpdate(transaction), 'poll');
      } catch (error) {
        if (generation !== pollGeneration) return;
        // Network failures, 5xx and 429 pass; credentials or the transaction being gone do not.
        const fatal =
          error instanceof ProofRampError && (error.status === 401 || error.status === 403 || (error.status === 404 && txId !== null));
        if (fatal) return fail(error);
      }
    }
    if (generation === pollGeneration) pollTimer = setTimeout(() => void poll(generation), context.pollIntervalMs);
  }

  function accept(update: TransactionUpdate, source: UpdateInfo['source']): void {
    if (ended) return;
    const id = update.merchant_transaction_id;
    if (txId !== null && id !== txId) return;
    const rank = RANK[update.status] ?? 0;
    const previous = ranks.get(id) ?? -1;
    const key = `${id}\n${update.status}`;
    if (previous === FINAL_RANK || rank < previous || delivered.has(key)) return;
    delivered.add(key);
    ranks.set(id, rank);
    try {
      const result = options.onUpdate(update, { source });
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
    if (txId !== null && isTerminalStatus(update.status)) finish({ reason: 'terminal' });
  }

  function report(error: unknown): void {
    try {
      options.onError?.(error);
    } catch {
      // an onError that throws must not break the subscription
    }
  }

  function fail(error: unknown): void {
    report(error);
    finish({ reason: 'error', error });
  }

  function finish(end: SubscriptionEnd): void {
    if (ended) return;
    ended = true;
    clearTimeout(reconnectTimer);
    stopPolling();
    options.signal?.removeEventListener('abort', onAbort);
    const ws = socket;
    socket = null;
    if (!ws || ws.readyState === WebSocket.CLOSED) {
      resolveDone(end);
      return;
    }
    ws.once('close', () => resolveDone(end));
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  }

  const onAbort = () => finish({ reason: 'closed' });
  if (options.signal?.aborted) finish({ reason: 'closed' });
  else {
    options.signal?.addEventListener('abort', onAbort, { once: true });
    connect();
  }

  return {
    close: () => {
      finish({ reason: 'closed' });
      return done;
    },
    done,
  };
}

function toUpdate(transaction: Transaction): TransactionUpdate {
  const { created_at: _created, updated_at, ...fields } = transaction;
  return { event: 'tx.update', ...fields, occurred_at: updated_at };
}
