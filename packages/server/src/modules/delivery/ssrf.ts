import { promises as dns, lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * Webhook URLs are partner input, so the platform must not be made to call its own network.
 * Every address a host name resolves to is checked at connect time (which also defeats DNS
 * rebinding between a check and the request); only public unicast addresses pass.
 */
export function isPublicAddress(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'unicast';
  } catch {
    return false;
  }
}

export class BlockedTargetError extends Error {
  readonly code = 'EBLOCKEDTARGET';
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a private, loopback or link-local address`);
    this.name = 'BlockedTargetError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup for the HTTP client's connector that refuses non-public addresses. */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const blocked = addresses.find((entry) => !isPublicAddress(entry.address));
    if (blocked) return callback(new BlockedTargetError(hostname, blocked.address) as unknown as NodeJS.ErrnoException, []);
    if ((options as { all?: boolean }).all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

/** How long a configuration-time lookup may take before the URL is given the benefit of the doubt. */
const CONFIGURE_LOOKUP_TIMEOUT_MS = 5_000;

/**
 * Why delivery would refuse this webhook URL's host (the message of the BlockedTargetError the sender
 * would record), or null when it would try it: the same rule as at send time, applied when the URL is
 * configured so the operator hears of it at once. A name that does not resolve (yet, or within the
 * timeout) passes: delivery retries those, and the send-time check still guards every attempt.
 */
export async function blockedWebhookTarget(url: string): Promise<string | null> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
  if (ipaddr.isValid(host)) return isPublicAddress(host) ? null : new BlockedTargetError(host, host).message;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<LookupAddress[]>((resolve) => {
    timer = setTimeout(() => resolve([]), CONFIGURE_LOOKUP_TIMEOUT_MS);
    timer.unref();
  });
  try {
    const addresses = await Promise.race([dns.lookup(host, { all: true }), timeout]);
    const blocked = addresses.find((entry) => !isPublicAddress(entry.address));
    return blocked ? new BlockedTargetError(host, blocked.address).message : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
