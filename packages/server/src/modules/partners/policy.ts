import ipaddr from 'ipaddr.js';
import { ConfigurationError } from '../../lib/errors.ts';

/**
 * Access rules for partner requests, without I/O: which origins and source addresses a partner
 * has registered. Requests without an Origin header are server-to-server calls and pass the origin
 * rule; the IP allowlist, when set, applies to every request.
 */

const BUNDLE_ID = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/;
const CUSTOM_SCHEME = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\s]+)\/?$/;

/**
 * The canonical form of a registered origin: web origins as the browser sends them
 * (scheme://host[:port], default port dropped), app origins (capacitor://localhost) lowercased,
 * mobile bundle ids (com.partner.app) as written.
 */
export function normalizeOrigin(input: string): string {
  const value = input.trim().toLowerCase();
  if (value === '' || value === 'null' || value.includes('*')) {
    throw new ConfigurationError('origins', `not a registrable origin: "${input}"`);
  }
  if (value.startsWith('http://') || value.startsWith('https://')) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigurationError('origins', `not a URL: ${input}`);
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
      throw new ConfigurationError('origins', `an origin has no path, query or credentials: ${input}`);
    }
    return url.origin;
  }
  const custom = CUSTOM_SCHEME.exec(value);
  if (custom) return `${custom[1]}://${custom[2]}`;
  if (BUNDLE_ID.test(value)) return value;
  throw new ConfigurationError('origins', `not an origin or bundle id: ${input}`);
}

/** The Origin header in canonical form, or null when it cannot be one we registered. */
export function canonicalRequestOrigin(header: string): string | null {
  try {
    return normalizeOrigin(header);
  } catch {
    return null;
  }
}

export function originAllowed(registered: readonly string[], originHeader: string | undefined): boolean {
  if (originHeader === undefined) return true;
  const origin = canonicalRequestOrigin(originHeader);
  return origin !== null && registered.includes(origin);
}

export function ipAllowed(allowlist: readonly string[], ip: string): boolean {
  if (allowlist.length === 0) return true;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // IPv4 clients reach a dual-stack socket as ::ffff:a.b.c.d; compare them as IPv4.
    address = ipaddr.process(ip);
  } catch {
    return false;
  }
  return allowlist.some((cidr) => {
    const [range, prefix] = ipaddr.parseCIDR(cidr);
    return range.kind() === address.kind() && address.match([range, prefix] as [typeof address, number]);
  });
}
