/**
 * The iframe page's security headers, without I/O. Its CSP lets only the widget's partner frame it
 * (frame-ancestors: that partner's registered origins; an unknown or disabled widget: 'none'), loads
 * nothing but the platform's own files (no inline script or style), and its requests carry no
 * referrer: the page's URL names the widget and the partner's origin, which the services the
 * widget calls need not learn.
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

/** Headers of the iframe page of a widget whose partner registered `origins` (null: unknown widget). */
export function framePageHeaders(origins: readonly string[] | null): Record<string, string> {
  const policy = [
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors(origins)}`,
  ];
  return {
    'content-security-policy': policy.join('; '),
    'referrer-policy': 'no-referrer',
    // The policy follows the partner's registered origins, which may change at any time.
    'cache-control': 'no-store',
  };
}
