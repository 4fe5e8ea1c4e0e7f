import { ProviderError } from './provider-error.ts';

/** How a call into an adapter ended: `ok`, the ProviderError's kind, or `error` (anything else: a bug). */
export type AdapterCallOutcome = 'ok' | ProviderError['kind'] | 'error';

export interface InstrumentOptions {
  /** Told of every asynchronous call when it settles: the method's name, its outcome and how long it took. */
  observe: (operation: string, outcome: AdapterCallOutcome, seconds: number) => void;
  /** Replaces what a synchronous method returns (the chain registry hands out adapters to instrument in turn). */
  mapResult?: (operation: string, result: unknown) => unknown;
}

/**
 * The adapter as it is, except that every method returning a promise is timed. A proxy rather than a
 * wrapper class per interface: adapters are called through their module's interface, so one seam
 * (the composition root) covers every call site, including ones added later. Methods run on the
 * adapter itself, so its calls to its own methods are not counted twice; synchronous methods (a name,
 * a callback signature check) and properties pass through untouched.
 */
export function instrumentAdapter<T extends object>(adapter: T, options: InstrumentOptions): T {
  const wrappers = new WeakMap<(...args: unknown[]) => unknown, (...args: unknown[]) => unknown>();
  return new Proxy(adapter, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor') return value;
      const method = value as (...args: unknown[]) => unknown;
      let wrapper = wrappers.get(method);
      if (!wrapper) {
        wrapper = (...args: unknown[]) => {
          const started = performance.now();
          const result = method.apply(target, args);
          if (!(result instanceof Promise)) return options.mapResult ? options.mapResult(property, result) : result;
          const seconds = () => (performance.now() - started) / 1000;
          return result.then(
            (answer) => {
              options.observe(property, 'ok', seconds());
              return answer;
            },
            (error: unknown) => {
              options.observe(property, error instanceof ProviderError ? error.kind : 'error', seconds());
              throw error;
            },
          );
        };
        wrappers.set(method, wrapper);
      }
      return wrapper;
    },
  });
}
