/**
 * The widget page's security headers, without I/O. As an iframe (/embed/v1/frame) its CSP lets only
 * the widget's partner frame it (frame-ancestors: that partner's registered origins; an unknown or
 * disabled widget: 'none'); as the hosted page (/embed/v1/hosted) no one may frame it. Either way it
 * loads nothing but the platform's own files (no inline script or style; images and media also from
 * blob: URLs the page makes), and its requests carry no referrer: the page's URL names the widget
 * and the partner's origin, which the services the widget calls need not learn.
 */

/**
 * A registered origin that can stand in frame-ancestors as it is: scheme://host[:port] (web origins
 * and app schemes such as capacitor://localhost). Bundle ids (com.partner.app) are left out: without
 * a scheme, CSP would read one as a web host of that name. Nothing that could end the directive
 * (";", ",", quotes, spaces) passes.
 */
const FRAMEABLE = /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/;

/** The frame-ancestors sources for these registered origins (null: an unknown widget). */
export function frameAncestors(origins: readonly string[] | null): string {
  const sources = (origins ?? []).filter((origin) => FRAMEABLE.test(origin));
  return sources.length > 0 ? [...new Set(sources)].join(' ') : "'none'";
}

/**
 * The policy both pages share: the platform's own files only (no inline script or style), plus
 * blob: and data: images and blob: media, which the widget makes itself (the camera's preview, an
 * uploaded document's preview). Nothing else may load, be embedded, or be posted to.
 */
function pagePolicy(ancestors: string): string {
  return [
    "default-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
}

/** Headers of the iframe page of a widget whose partner registered `origins` (null: unknown widget). */
export function framePageHeaders(origins: readonly string[] | null): Record<string, string> {
  return {
    'content-security-policy': pagePolicy(frameAncestors(origins)),
    'referrer-policy': 'no-referrer',
    // The policy follows the partner's registered origins, which may change at any time.
    'cache-control': 'no-store',
  };
}

/**
 * Headers of the hosted page (/embed/v1/hosted): the same page, opened at the top level (a Custom
 * Tab, a redirect). No one may frame it, whatever the partner registered: a framed hosted page
 * would be a widget without the frame's origin checks. Its URL's fragment carries the session, so
 * it sends no referrer and is never stored.
 */
export function hostedPageHeaders(): Record<string, string> {
  return {
    'content-security-policy': pagePolicy("'none'"),
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}
