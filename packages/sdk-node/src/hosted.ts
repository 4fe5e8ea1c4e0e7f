import type { SessionResponse } from './types.ts';

/**
 * The session fields the hosted page reads from its URL's fragment, in the order they are written:
 * every field `proofWidget.run()` takes, nothing else (`widget_url` is the loader's address).
 */
const TEXT = [
  'widget_id',
  'init_token',
  'init_token_type',
  'signature',
  'merchant_transaction_id',
  'address',
  'currency',
  'network',
  'amount',
  'type',
  'fiat_currency',
  'fiat_amount',
] as const;
const LISTS = ['currencies', 'networks', 'fiat_currencies'] as const;
const TEXT_AFTER_LISTS = ['lang', 'theme', 'redirect_url'] as const;
const FLAGS = ['fix_currency', 'fix_network', 'fix_amount', 'fix_fiat_currency', 'fix_fiat_amount'] as const;

/**
 * A session as POST /widget/session answers it (or the subset a partner kept): `widget_id` and the
 * signed fields are needed to open it; every other field may be left out, and the widget then uses
 * the session's own value.
 */
export type HostedSession = Pick<SessionResponse, 'widget_id'> & {
  [K in Exclude<keyof SessionResponse, 'widget_id'>]?: SessionResponse[K] | string | null;
};

/**
 * The hosted page's URL for a session: the full-page widget, for Android Custom Tabs, an iOS
 * `SFSafariViewController` / `WKWebView`, or a plain redirect (docs/mobile.md). Pure: no request
 * is made, so it can run wherever the session is (your server, or your app with the session your
 * server handed it).
 *
 *   https://RAMP_HOST/embed/v1/hosted?widget_id=wgt_…#widget_id=wgt_…&init_token=…&signature=…
 *
 * Only `widget_id` is in the query. The session's values (its `init_token` among them) are in the
 * fragment, as `application/x-www-form-urlencoded` text: browsers never send a fragment to a
 * server, so the values stay out of every request, access log and `Referer`, and the page removes
 * the fragment from the address bar once it has read it. Lists are comma-separated (`EUR,USD`),
 * flags `true`/`false` (`fix_network`, a list in the response, is `true` when it names a network),
 * and fields that are null, empty or absent are left out.
 *
 * `platformBaseUrl` is where the platform is deployed (the SDK's `baseUrl`; a path prefix is kept).
 * The URL lets whoever holds it open the session until its `init_token` expires or the session is
 * opened: hand it only to the user it was made for, and open it at once.
 */
export function hostedWidgetUrl(platformBaseUrl: string, session: HostedSession): string {
  const base = new URL(platformBaseUrl); // throws on a malformed URL
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError('platformBaseUrl must be an http(s) URL');
  if (typeof session?.widget_id !== 'string' || session.widget_id === '') throw new TypeError('session.widget_id is required');

  const fields = session as Record<string, unknown>;
  const fragment = new URLSearchParams();
  const text = (name: string) => {
    const value = fields[name];
    if (value == null || value === '') return;
    if (typeof value === 'object' || typeof value === 'function') throw new TypeError(`session.${name} must be text`);
    fragment.set(name, String(value));
  };
  TEXT.forEach(text);
  for (const name of LISTS) {
    const value = fields[name];
    if (value == null) continue;
    const items = (Array.isArray(value) ? value : String(value).split(',')).map((item) => String(item).trim()).filter(Boolean);
    if (items.length > 0) fragment.set(name, items.join(','));
  }
  TEXT_AFTER_LISTS.forEach(text);
  for (const name of FLAGS) {
    const value = fields[name];
    if (value == null) continue;
    fragment.set(name, String(value === true || value === 'true' || (Array.isArray(value) && value.length > 0)));
  }

  const path = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${path}/embed/v1/hosted?widget_id=${encodeURIComponent(session.widget_id)}#${fragment}`;
}
