import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { findSealedWebhookSecret, replaceWebhookSecret } from './webhook-endpoint-store.ts';

/** How long a replaced secret keeps signing when the operator names no grace period. */
export const DEFAULT_SECRET_GRACE_MS = 24 * 3_600_000;
export const MAX_SECRET_GRACE_MS = 90 * 86_400_000;

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The partner's current signing secret in clear (operators show it), or undefined without an endpoint. */
export async function revealWebhookSecret(platform: Platform, partnerId: string): Promise<string | undefined> {
  const sealed = await findSealedWebhookSecret(platform.db, partnerId);
  return sealed === undefined ? undefined : platform.sealer.open(sealed);
}

/** What a rotation answers (the admin API and `proof webhooks rotate-secret`). */
export interface RotatedWebhookSecret {
  partner_id: string;
  /** Shown this once; stored sealed. */
  webhook_secret: string;
  /** Until when messages are also signed with the secret it replaced (now, for a grace of 0). */
  previous_secret_expires_at: string;
}

/**
 * Gives the partner's endpoint a new secret, answered here once (it is stored sealed). Messages are
 * signed with the old one as well until `graceMs` has passed, so receivers can switch without losing
 * any (Standard Webhooks receivers accept a message when any of its signatures matches); a grace of 0
 * drops the old secret at once. Null when the partner has no endpoint (no such partner).
 */
export async function rotateWebhookSecret(platform: Platform, partnerId: string, graceMs: number): Promise<RotatedWebhookSecret | null> {
  if (!Number.isSafeInteger(graceMs) || graceMs < 0 || graceMs > MAX_SECRET_GRACE_MS) {
    throw new ConfigurationError('grace', 'must be a duration from 0 to 90 days');
  }
  const now = platform.clock.now();
  const webhookSecret = newWebhookSecret();
  const previousExpiresAt = new Date(now.getTime() + graceMs);
  const replaced = await replaceWebhookSecret(platform.db, {
    partnerId,
    secretSealed: platform.sealer.seal(webhookSecret),
    previousExpiresAt: graceMs === 0 ? null : previousExpiresAt,
    now,
  });
  if (!replaced) return null;
  return { partner_id: partnerId, webhook_secret: webhookSecret, previous_secret_expires_at: previousExpiresAt.toISOString() };
}
