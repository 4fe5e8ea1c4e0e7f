import { type CallbackName, CHANNEL, type FrameMessage, type FrameParams, type PageMessage } from '@proof-ramp/loader/protocol';
import { openingStatus, readableError, type ShellState, stepTitle } from './frame-text.ts';

/**
 * The iframe's script, for now a shell: the handshake with the loader (hello → init), the session's
 * opening (POST /embed/v1/sessions/open, once; a reloaded frame resumes with the credential it kept),
 * the first step's name or a readable error, and onLoad / onReady / onStatusChange / onError for
 * the partner's page. The full widget app (amount, verification, payment, sell) replaces it.
 *
 * The page's origin comes from the frame URL's `parent_origin`, checked against
 * location.ancestorOrigins where the browser has it; messages are posted to that exact origin only
 * and accepted only from it and from the parent window. Nothing secret is posted to the page.
 */

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

class ShellError extends Error {
  readonly code: string;
  /** The fields an API error names (its details), for the readable message. */
  readonly fields: string[];
  constructor(code: string, message: string, fields: string[] = []) {
    super(message);
    this.code = code;
    this.fields = fields;
  }
}

const element = (id: string) => document.getElementById(id) as HTMLElement;
const parentOrigin = new URLSearchParams(location.search).get('parent_origin') ?? '';

function post(message: FrameMessage): void {
  window.parent.postMessage(message, parentOrigin);
}

function emit(name: CallbackName, data?: unknown): void {
  post({ channel: CHANNEL, type: 'event', name, ...(data === undefined ? {} : { data }) });
}

/** Framed by the page it claims (where the browser can tell), and that claim is an origin. */
function trustedParent(): boolean {
  if (window.parent === window) return false;
  try {
    if (new URL(parentOrigin).origin !== parentOrigin) return false;
  } catch {
    return false;
  }
  const ancestors = location.ancestorOrigins;
  return ancestors === undefined || ancestors.length === 0 || ancestors[0] === parentOrigin;
}

async function api<T>(path: string, init: RequestInit & { credential?: string; withCookie?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.credential) headers.authorization = `Bearer ${init.credential}`;
  let response: Response;
  try {
    // Cookies only for the opening: its partitioned cookie lets this browser open the session again on a reload.
    response = await fetch(`/embed/v1${path}`, {
      ...init,
      headers,
      credentials: init.withCookie ? 'same-origin' : 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ShellError('network_error', 'The platform could not be reached (network error).');
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const fields = Array.isArray(body?.details) ? body.details.map((detail: { field: string }) => detail.field) : [];
    throw new ShellError(body?.code ?? `http_${response.status}`, body?.message ?? `HTTP ${response.status}`, fields);
  }
  return body as T;
}

/** The credential a reloaded frame resumes with: session storage, per widget and order. */
const keptKey = (params: FrameParams) => `proof-widget:${params.widget_id}:${params.merchant_transaction_id}`;

/**
 * The credential kept for this order, if any. Its expiry is not judged here (the user's clock may be
 * wrong): the platform answers 401 to an expired one, and the frame then opens the session again.
 */
function kept(params: FrameParams): string | null {
  try {
    return sessionStorage.getItem(keptKey(params));
  } catch {
    return null; // storage blocked (some third-party contexts): open again instead
  }
}

function keep(params: FrameParams, credential: string | null): void {
  try {
    if (credential) sessionStorage.setItem(keptKey(params), credential);
    else sessionStorage.removeItem(keptKey(params));
  } catch {
    // storage blocked: a reload will need a new session from the partner
  }
}

async function openOrResume(params: FrameParams): Promise<ShellState> {
  const held = kept(params);
  if (held) {
    try {
      return await api<ShellState>('/session', { credential: held });
    } catch (error) {
      if (!(error instanceof ShellError) || error.code !== 'invalid_token') throw error;
      keep(params, null);
    }
  }
  const body = Object.fromEntries(OPEN_FIELDS.map((field) => [field, params[field]]));
  const opened = await api<{ credential: string; state: ShellState }>('/sessions/open', {
    method: 'POST',
    withCookie: true,
    body: JSON.stringify(body),
  });
  keep(params, opened.credential);
  return opened.state;
}

function checkParams(params: unknown): FrameParams {
  const given = (params ?? {}) as Record<string, unknown>;
  const wrong = OPEN_FIELDS.filter((field) => typeof given[field] !== 'string' || (field !== 'amount' && given[field] === ''));
  if (typeof params !== 'object' || wrong.length > 0) {
    throw new ShellError('invalid_parameter', `The widget's parameters lack ${wrong.join(', ')}.`, wrong);
  }
  return params as FrameParams;
}

function showState(state: ShellState, params: FrameParams): void {
  const { transaction, quote } = state;
  element('title').textContent = `${transaction.type === 'sell' ? 'Sell' : 'Buy'} ${transaction.currency} (${transaction.network})`;
  element('summary').textContent = quote
    ? `${quote.crypto_amount} ${transaction.currency} for ${quote.fiat_amount} ${quote.fiat_currency}`
    : '';
  const step = element('step');
  step.dataset.step = state.next_step;
  step.textContent = `Next step: ${stepTitle(state.next_step)}`;
  element('status').textContent = 'Ready.';
  const theme = params.theme ?? state.terms?.theme;
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
}

function showError(code: string, fields: string[]): void {
  element('status').textContent = '';
  element('error-text').textContent = readableError(code, fields);
  element('error-code').textContent = `Error code: ${code}`;
  element('error').hidden = false;
}

let started = false;

async function start(raw: unknown): Promise<void> {
  emit('onLoad');
  let params: FrameParams | null = null;
  try {
    params = checkParams(raw);
    const state = await openOrResume(params);
    showState(state, params);
    emit('onReady');
    const status = openingStatus(state, params.fiat_currency);
    if (status) emit('onStatusChange', status);
  } catch (error) {
    const failure = error instanceof ShellError ? error : new ShellError('internal_error', String(error));
    showError(failure.code, failure.fields);
    emit('onError', { code: failure.code, message: failure.message });
  }
}

if (trustedParent()) {
  window.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as PageMessage | null;
    if (event.origin !== parentOrigin || event.source !== window.parent || message?.channel !== CHANNEL || message.type !== 'init') return;
    // One opening per document: a reload is a new document, and it resumes with the kept credential.
    if (started) return;
    started = true;
    void start(message.params);
  });
  post({ channel: CHANNEL, type: 'hello' });
} else {
  showError('not_embedded', []);
}
