import { beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/lib/clock.ts';
import { CallbackRejectedError, type CallbackRequest, type CallbackSource } from '../../src/modules/callbacks/inbound-event.ts';
import type { ReceivedHook } from '../helpers/webhook-receiver.ts';

/** Headers any HTTP client sends; the rest are the provider's own (its signature among them). */
const ORDINARY_HEADERS = new Set([
  'host',
  'connection',
  'content-type',
  'content-length',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'sec-fetch-mode',
]);

/** A callback the receiver got, as the inbox route hands it to the adapter. */
export function callbackRequest(hook: Pick<ReceivedHook, 'headers' | 'body'>): CallbackRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(hook.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return { rawBody: Buffer.from(hook.body, 'utf8'), headers };
}

/**
 * What every adapter that calls back must refuse, whatever its vendor: a changed or re-serialised
 * body, a changed or missing header of its own (its signature), a timestamp more than 5 minutes from
 * its clock either way, and a body that is not its callback at all. `hook` gives one callback the
 * adapter really sent; `extraTampering` adds the adapter's own cases.
 */
export function describeSignedCallbacks(options: {
  provider: () => CallbackSource;
  hook: () => ReceivedHook;
  clock: ManualClock;
  extraTampering?: (hook: ReceivedHook) => Buffer[];
}): void {
  const { clock } = options;
  describe('refuses callbacks it did not send as they are', () => {
    let provider: CallbackSource;
    let hook: ReceivedHook;
    beforeAll(() => {
      provider = options.provider();
      hook = options.hook();
    });

    it('accepts the callback untouched', () => {
      expect(() => provider.verifyCallback(callbackRequest(hook))).not.toThrow();
    });

    it('refuses a body with one character changed, or re-serialised', () => {
      const request = callbackRequest(hook);
      const tampered = Buffer.from(request.rawBody);
      const index = tampered.indexOf(':') + 1;
      tampered[index] = tampered[index] === 0x20 ? 0x09 : 0x20;
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(hook.body), null, 1));
      for (const rawBody of [tampered, reserialised, ...(options.extraTampering?.(hook) ?? [])]) {
        expect(() => provider.verifyCallback({ ...request, rawBody })).toThrow(CallbackRejectedError);
      }
    });

    it("refuses a change to any of the provider's own headers, and their absence", () => {
      const request = callbackRequest(hook);
      const own = Object.keys(request.headers).filter((name) => !ORDINARY_HEADERS.has(name));
      expect(own.length, 'the adapter signs in a header of its own').toBeGreaterThan(0);
      for (const name of own) {
        const value = request.headers[name]!;
        const last = value.at(-1)!;
        const changed = `${value.slice(0, -1)}${last === '0' ? '1' : '0'}`;
        expect(() => provider.verifyCallback({ ...request, headers: { ...request.headers, [name]: changed } }), name).toThrow(
          CallbackRejectedError,
        );
      }
      const bare = Object.fromEntries(Object.entries(request.headers).filter(([name]) => ORDINARY_HEADERS.has(name)));
      expect(() => provider.verifyCallback({ ...request, headers: bare })).toThrow(CallbackRejectedError);
    });

    it('refuses a callback more than 5 minutes old, or from more than 5 minutes ahead', () => {
      const request = callbackRequest(hook);
      try {
        clock.advance(4 * 60_000);
        expect(() => provider.verifyCallback(request)).not.toThrow();
        clock.advance(2 * 60_000);
        expect(() => provider.verifyCallback(request)).toThrow(CallbackRejectedError);
        clock.advance(-12 * 60_000);
        expect(() => provider.verifyCallback(request)).toThrow(CallbackRejectedError);
      } finally {
        clock.advance(6 * 60_000);
      }
      expect(() => provider.verifyCallback(request)).not.toThrow();
    });

    it('refuses a body that is not the provider’s callback at all', () => {
      const request = callbackRequest(hook);
      expect(() => provider.verifyCallback({ ...request, rawBody: Buffer.alloc(0) })).toThrow(CallbackRejectedError);
    });
  });
}
