import { CALLBACKS, type CallbackName, type FrameParams, type WidgetError } from './protocol.ts';

/**
 * proofWidget.run()'s arguments, normalised and checked without touching the page (pure, so the
 * unit tests run it in Node). Every byte here ships to every partner page, so the tables are
 * space-separated strings and the messages short.
 *
 * Both documented forms are taken: the current camelCase names (`initToken`, `fixAmount`) and the
 * session response's snake_case names passed verbatim (`init_token`, `fix_amount`), the camelCase
 * one winning when a call has both; `crypto_amount`/`cryptoAmount` is the older name of `amount`.
 * Callbacks the same (`onStatusChange` or `on_status_change`). Values are taken the forgiving way:
 * numbers as text (verbatim otherwise: the signature covers them), lists from arrays or
 * comma-separated text, flags from true/"true"/1 or a non-empty list (the session response's
 * `fix_network` is `[network]`). A `host` may be the element or its id.
 */

/** The fields passed on to the frame as text. */
const TEXT =
  'widget_id init_token init_token_type signature merchant_transaction_id address currency network amount fiat_currency fiat_amount type lang theme redirect_url'.split(
    ' ',
  );
const LISTS = 'currencies networks fiat_currencies'.split(' ');
const FLAGS = 'fix_currency fix_network fix_amount fix_fiat_currency fix_fiat_amount'.split(' ');
/** What the session's opening needs; `amount` is not here: a session without one lets the user pick it. */
const REQUIRED = 'host init_token widget_id signature merchant_transaction_id address currency network'.split(' ');

/** Used when `loadTimeout` (ms, ours) is not given: the frame must say ready (or report an error) within this. */
export const LOAD_TIMEOUT_MS = 15_000;

export type Callbacks = Partial<Record<CallbackName, (data?: any) => void>>;

export interface RunInput {
  [name: string]: unknown;
}

export interface Normalized {
  params: FrameParams;
  callbacks: Callbacks;
  /** The element the iframe goes in (null when missing or not an element). */
  host: Element | null;
  loadTimeout: number;
  /** Everything wrong with the call; the widget starts only when this is empty. */
  problems: WidgetError[];
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** The current docs' spelling, used in every message. */
export const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * `findHost` turns a string `host` into an element (the page's getElementById); anything with
 * nodeType 1 counts as an element, so tests can pass plain objects.
 */
export function normalizeParams(input: unknown, findHost: (id: string) => unknown = () => null): Normalized {
  const given: Record<string, any> = {};
  const source = (input && typeof input === 'object' ? input : {}) as RunInput;
  for (const key of Object.keys(source)) {
    const name = snake(key);
    if (key !== name || !(name in given)) given[name] = source[key];
  }
  given.amount ??= given.crypto_amount;

  const problems: WidgetError[] = [];
  const invalid = (name: string, issue: string) => problems.push({ code: 'invalid_parameter', message: `${camel(name)} ${issue}` });

  // Only what the call gives is passed on: the frame takes whatever is left out from the session as
  // created (its terms), so every optional field defaults to the session's own value. The signed
  // fields the opening needs get the response's defaults here: type buy, amount empty.
  const params: Record<string, any> = { type: 'buy', amount: '', init_token_type: 'sdk_partner_authorization' };
  for (const name of TEXT) {
    const value = given[name];
    if (value == null || value === '') continue;
    if (typeof value === 'object' || typeof value === 'function') invalid(name, 'must be text');
    else params[name] = `${value}`;
  }
  for (const name of LISTS) {
    const value = given[name];
    if (value != null)
      params[name] = (Array.isArray(value) ? value : `${value}`.split(',')).map((item) => `${item}`.trim()).filter(Boolean);
  }
  for (const name of FLAGS) {
    const value = given[name];
    if (value != null) params[name] = value === true || value === 'true' || value === 1 || (Array.isArray(value) && value.length > 0);
  }
  params.type = params.type.toLowerCase();

  let host = given.host;
  if (typeof host === 'string') host = findHost(host.replace(/^#/, ''));
  const isElement = (host as { nodeType?: unknown } | null)?.nodeType === 1;

  const missing = REQUIRED.filter((name) => !(name === 'host' ? given.host : params[name]));
  if (missing.length) problems.unshift({ code: 'missing_parameter', message: `missing ${missing.map(camel).join(', ')}` });
  if (given.host && !isElement) invalid('host', 'is not an element (nor an element id)');
  if (params.type !== 'buy' && params.type !== 'sell') invalid('type', 'must be buy or sell');
  if (params.redirect_url && !/^https?:\/\//i.test(params.redirect_url)) invalid('redirect_url', 'must be an http(s) URL');

  const callbacks: Callbacks = {};
  for (const name of CALLBACKS) {
    const callback = given[snake(name)];
    if (typeof callback === 'function') callbacks[name] = callback;
    else if (callback != null) invalid(name, 'must be a function');
  }
  const timeout = given.load_timeout;
  if (timeout != null && !(timeout > 0)) invalid('load_timeout', 'must be a number of milliseconds');

  return {
    params: params as FrameParams,
    callbacks,
    host: isElement ? (host as Element) : null,
    loadTimeout: timeout > 0 ? timeout : LOAD_TIMEOUT_MS,
    problems,
  };
}
