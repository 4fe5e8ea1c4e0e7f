import type { FrameParams } from '@proof-ramp/loader/protocol';
import { EmbedClient, EmbedError } from './embed-client.ts';
import type { EmbedState } from './embed-state.ts';
import type { ParamsSource } from './params-source.ts';
import { eventsFor, type Told } from './partner-events.ts';

/** The fields POST /embed/v1/sessions/open takes (the signed ones and the token), nothing more. */
const OPEN_FIELDS = [
  'init_token',
  'widget_id',
  'signature',
  'merchant_transaction_id',
  'address',
  'currency',
  'network',
  'amount',
  'type',
] as const;

export type Phase = { kind: 'opening' } | { kind: 'failed'; error: EmbedError } | { kind: 'open'; state: EmbedState };

/**
 * One opened widget session: the credential, the latest state (from an action's answer or the live
 * stream, whichever is newer), and the partner events each new state calls for. Screens read it
 * through useSession() and act with act().
 */
export class WidgetSession {
  readonly client = new EmbedClient();
  phase: Phase = { kind: 'opening' };
  params: FrameParams | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly told: Told = { paymentFinished: new Set() };
  private readonly live = new AbortController();

  readonly source: ParamsSource;

  constructor(source: ParamsSource) {
    this.source = source;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(phase: Phase): void {
    this.phase = phase;
    for (const listener of this.listeners) listener();
  }

  async start(): Promise<void> {
    this.source.emit('onLoad');
    try {
      this.params = checkParams(await this.source.params);
      const state = await this.openOrResume(this.params);
      this.set({ kind: 'open', state });
      // Visible and interactive first; then what the opened state tells the page (its status).
      this.source.emit('onReady');
      this.show(state);
      void this.client.follow((state) => this.show(state), this.live.signal);
    } catch (error) {
      this.fail(error);
    }
  }

  /** A state to draw; the partner hears what changed. */
  show(state: EmbedState): void {
    this.set({ kind: 'open', state });
    for (const event of eventsFor(state, this.told, this.params?.fiat_currency ?? '')) {
      this.source.emit(event.name as never, event.data);
    }
  }

  /**
   * Calls an action route, then draws the state it answers. An error the user can act on is
   * thrown back to the screen; a lost session (401) ends in the error screen.
   */
  async act(path: string, body: unknown = {}, method = 'POST'): Promise<EmbedState> {
    try {
      const state = await this.client.request(path, { method, body });
      this.show(state);
      return state;
    } catch (error) {
      if (error instanceof EmbedError && error.status === 401) this.fail(error);
      throw error;
    }
  }

  /** Reads the state again (after an error, say: it may have moved on). */
  async refresh(): Promise<void> {
    try {
      this.show(await this.client.request('/session'));
    } catch {
      // the live stream will bring it
    }
  }

  fail(error: unknown): void {
    const failure = error instanceof EmbedError ? error : new EmbedError('internal_error', String(error));
    this.live.abort();
    this.set({ kind: 'failed', error: failure });
    this.source.emit('onError', { code: failure.code, message: failure.message });
  }

  close(): void {
    this.live.abort();
    this.source.emit('onClose');
  }

  private async openOrResume(params: FrameParams): Promise<EmbedState> {
    const held = kept(params);
    if (held) {
      this.client.credential = held;
      try {
        return await this.client.request('/session');
      } catch (error) {
        if (!(error instanceof EmbedError) || error.status !== 401) throw error;
        this.client.credential = null;
        keep(params, null);
      }
    }
    const body = Object.fromEntries(OPEN_FIELDS.map((field) => [field, params[field]]));
    const opened = await this.client.request<{ credential: string; state: EmbedState }>('/sessions/open', { body, withCookie: true });
    this.client.credential = opened.credential;
    keep(params, opened.credential);
    return opened.state;
  }
}

function checkParams(params: unknown): FrameParams {
  const given = (params ?? {}) as Record<string, unknown>;
  const wrong = OPEN_FIELDS.filter((field) => typeof given[field] !== 'string' || (field !== 'amount' && given[field] === ''));
  if (typeof params !== 'object' || wrong.length > 0) {
    throw new EmbedError(
      'invalid_parameter',
      `The widget's parameters lack ${wrong.join(', ')}.`,
      0,
      wrong.map((field) => ({ field, issue: 'missing' })),
    );
  }
  return params as FrameParams;
}

/** The credential a reloaded page resumes with: session storage, per widget and order. */
const keptKey = (params: FrameParams) => `proof-widget:${params.widget_id}:${params.merchant_transaction_id}`;

function kept(params: FrameParams): string | null {
  try {
    return sessionStorage.getItem(keptKey(params));
  } catch {
    return null; // storage blocked (some third-party contexts): the partitioned cookie reopens instead
  }
}

function keep(params: FrameParams, credential: string | null): void {
  try {
    if (credential) sessionStorage.setItem(keptKey(params), credential);
    else sessionStorage.removeItem(keptKey(params));
  } catch {
    // storage blocked: the partitioned cookie still lets this browser reopen
  }
}
