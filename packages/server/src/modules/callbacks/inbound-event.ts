/**
 * What a provider callback becomes once its signature is checked: one event of the platform's closed
 * vocabulary (the module that owns the capability defines its kinds, e.g. `kyc.decision` in kyc,
 * `payment.update` in payments), never the vendor's own payload. JSON-safe: it is stored as it is
 * and applied later by the callbacks worker, perhaps on another node.
 */
export interface InboundEvent {
  /** Which handler applies it, e.g. "kyc.decision", "payment.update". */
  kind: string;
  /** The provider's own id of this event: a second delivery of the same id is stored once and applied once. */
  eventId: string;
  /** The rest of the canonical fields of this kind (strings, numbers, booleans, null). */
  [field: string]: unknown;
}

export interface CallbackRequest {
  /** The body exactly as received: signatures are over these bytes, never over re-serialised JSON. */
  rawBody: Buffer;
  /** Request headers, lower-case names. */
  headers: Record<string, string | undefined>;
}

/**
 * The callback side of an adapter: a provider that calls back implements this beside its own
 * interface, and its callbacks arrive at POST /providers/{name}/callbacks.
 */
export interface CallbackSource {
  /** The adapter's name: the `{name}` of its callback route. */
  readonly name: string;
  /**
   * Checks the signature over the raw body (in constant time), then reduces the vendor's payload to
   * one InboundEvent. Throws CallbackRejectedError when the signature, timestamp or payload is not
   * acceptable; the route then answers 400 and stores nothing.
   */
  verifyCallback(request: CallbackRequest): InboundEvent;
}

export class CallbackRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackRejectedError';
  }
}

/** Applies one stored event; must be idempotent: the same event may be applied again after a crash. */
export type InboundEventHandler = (event: InboundEvent) => Promise<void>;
