import { Webhook } from 'standardwebhooks';
import { ProofRampWebhookError } from './proof-ramp-error.ts';
import type { WebhookPayload } from './types.ts';

/** Request headers as Node's http module, a Fetch `Headers` object or a plain record give them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * Checks a webhook per Standard Webhooks and returns its parsed body. `body` must be the raw request
 * body exactly as received (not re-serialised JSON); `webhookSecret` is the partner's `whsec_…`.
 * The signature covers `webhook-id`, `webhook-timestamp` and the body; a timestamp more than
 * 5 minutes from this machine's clock is refused (replays). Throws ProofRampWebhookError.
 *
 * Deliveries are at-least-once: de-duplicate on the `webhook-id` header, or on
 * (merchant_transaction_id, status).
 */
export function verifyWebhook(body: string | Buffer, headers: WebhookHeaders, webhookSecret: string): WebhookPayload {
  let verifier: Webhook;
  try {
    verifier = new Webhook(webhookSecret);
  } catch (error) {
    throw new TypeError(`webhookSecret is not a valid whsec_ secret: ${(error as Error).message}`);
  }
  let payload: unknown;
  try {
    payload = verifier.verify(body, normalise(headers));
  } catch (error) {
    throw new ProofRampWebhookError(`webhook rejected: ${(error as Error).message}`, { cause: error });
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ProofRampWebhookError('webhook rejected: the body is not a JSON object');
  }
  return payload as WebhookPayload;
}

function normalise(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      out[name] = value;
    });
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    // A repeated header arrives as an array; signatures are space-separated in one header anyway.
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(' ') : value;
  }
  return out;
}
