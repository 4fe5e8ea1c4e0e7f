import { createHmac, timingSafeEqual } from 'node:crypto';

/** The session parameters the widget backend trusts only when the signature covers them. */
export interface SignedSessionFields {
  address: string;
  merchant_transaction_id: string;
  widget_id: string;
  currency: string;
  network: string;
  amount: string;
  type: 'buy' | 'sell';
  client_ip: string | null;
}

const FIELD_ORDER = ['address', 'merchant_transaction_id', 'widget_id', 'currency', 'network', 'amount', 'type', 'client_ip'] as const;

/**
 * `v2:` + HMAC-SHA-512 in lowercase hex over the fields joined by newlines in a fixed order.
 * No field may contain a newline (the API validates them), so the encoding is unambiguous.
 */
export function signSession(key: Buffer, fields: SignedSessionFields): string {
  const message = ['v2', ...FIELD_ORDER.map((name) => fields[name] ?? '')].join('\n');
  return `v2:${createHmac('sha512', key).update(message).digest('hex')}`;
}

export function verifySessionSignature(key: Buffer, fields: SignedSessionFields, signature: string): boolean {
  const expected = Buffer.from(signSession(key, fields));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
