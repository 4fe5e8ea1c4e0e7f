import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { expectError, type PartnerCredentials } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';
import { type ReceivedHook, signatureValid } from './helpers/webhook-receiver.ts';

/**
 * Rotating a partner's webhook signing secret: a new `whsec_` secret is answered once, and deliveries
 * carry one signature per live secret (Standard Webhooks' space-separated `webhook-signature`), so a
 * receiver that still checks with the old secret keeps accepting them until the grace period ends.
 */

const HOUR_MS = 3_600_000;
const SIGNATURE = /^v1,[A-Za-z0-9+/]{43}=$/;

describe('webhook secret rotation', () => {
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV, webhookReceiver: true });

  const rotate = (partnerId: string, body?: unknown) =>
    server.admin(`/partners/${partnerId}/webhook-secret/rotate`, { method: 'POST', ...(body === undefined ? {} : { body }) });
  /** A partner of its own whose webhooks go to the receiver. */
  const hookedPartner = () => server.createPartner({ webhook_url: `${server.receiver.url}/hooks` });
  /** Sends the partner a test event and returns it as received. */
  const deliver = async (partner: PartnerCredentials): Promise<ReceivedHook> => {
    const before = server.receiver.received.length;
    const sent = await server.admin(`/partners/${partner.partner_id}/webhooks/test`, { method: 'POST', body: {} });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    await server.background!.webhooks.drain();
    expect(server.receiver.received).toHaveLength(before + 1);
    return server.receiver.received.at(-1)!;
  };
  const signatures = (hook: ReceivedHook) => hook.signature.split(' ');

  it('answers a new secret once, shows it from then on, and signs with both until the grace period ends', async () => {
    const partner = await hookedPartner();
    const graceEnd = new Date(server.clock.now().getTime() + HOUR_MS).toISOString();
    const rotated = await rotate(partner.partner_id, { grace_seconds: 3600 });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body).toEqual({
      partner_id: partner.partner_id,
      webhook_secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      previous_secret_expires_at: graceEnd,
    });
    const secret: string = rotated.body.webhook_secret;
    expect(secret).not.toBe(partner.webhook_secret);
    expect((await server.admin(`/partners/${partner.partner_id}`)).body.webhook_secret).toBe(secret);

    const during = await deliver(partner);
    expect(signatures(during)).toEqual([expect.stringMatching(SIGNATURE), expect.stringMatching(SIGNATURE)]);
    expect(signatureValid(during, secret)).toBe(true);
    expect(signatureValid(during, partner.webhook_secret)).toBe(true);
    // A receiver using the Standard Webhooks library accepts it with either secret.
    for (const key of [secret, partner.webhook_secret]) {
      expect(new Webhook(key).verify(during.body, during.headers as Record<string, string>)).toEqual(during.json);
    }

    server.clock.advance(HOUR_MS - 1);
    expect(signatures(await deliver(partner))).toHaveLength(2);
    server.clock.advance(2);
    const after = await deliver(partner);
    expect(signatures(after)).toHaveLength(1);
    expect(signatureValid(after, secret)).toBe(true);
    expect(signatureValid(after, partner.webhook_secret)).toBe(false);
  });

  it('uses a grace of 24 h without a body; a grace of 0 ends the old secret at once', async () => {
    const partner = await hookedPartner();
    const defaulted = await rotate(partner.partner_id);
    expect(defaulted.status, JSON.stringify(defaulted.body)).toBe(200);
    expect(defaulted.body.previous_secret_expires_at).toBe(new Date(server.clock.now().getTime() + 24 * HOUR_MS).toISOString());

    const immediate = await rotate(partner.partner_id, { grace_seconds: 0 });
    expect(immediate.body.previous_secret_expires_at).toBe(server.clock.now().toISOString());
    const hook = await deliver(partner);
    expect(signatures(hook)).toHaveLength(1);
    expect(signatureValid(hook, immediate.body.webhook_secret)).toBe(true);
    expect(signatureValid(hook, defaulted.body.webhook_secret)).toBe(false);
    expect(signatureValid(hook, partner.webhook_secret)).toBe(false);
  });

  it('keeps one previous secret: a second rotation within the grace period ends the first secret at once', async () => {
    const partner = await hookedPartner();
    const first = await rotate(partner.partner_id, { grace_seconds: 3600 });
    const second = await rotate(partner.partner_id, { grace_seconds: 3600 });
    const hook = await deliver(partner);
    expect(signatures(hook)).toHaveLength(2);
    expect(signatureValid(hook, second.body.webhook_secret)).toBe(true);
    expect(signatureValid(hook, first.body.webhook_secret)).toBe(true);
    expect(signatureValid(hook, partner.webhook_secret)).toBe(false);
  });

  it('keeps the rotated secret when the webhook URL changes afterwards', async () => {
    const partner = await hookedPartner();
    const rotated = await rotate(partner.partner_id, { grace_seconds: 0 });
    const moved = await server.admin(`/partners/${partner.partner_id}`, {
      method: 'PATCH',
      body: { webhook_url: `${server.receiver.url}/hooks/v2` },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect((await server.admin(`/partners/${partner.partner_id}`)).body.webhook_secret).toBe(rotated.body.webhook_secret);
    const hook = await deliver(partner);
    expect(hook.path).toBe('/hooks/v2');
    expect(signatureValid(hook, rotated.body.webhook_secret)).toBe(true);
  });

  it('stores the secrets sealed, and only in the endpoint record', async () => {
    const partner = await hookedPartner();
    const rotated = await rotate(partner.partner_id, { grace_seconds: 3600 });
    const row = await server.platform.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('partner_id', '=', partner.partner_id)
      .executeTakeFirstOrThrow();
    const text = JSON.stringify(row);
    for (const secret of [partner.webhook_secret, rotated.body.webhook_secret]) expect(text).not.toContain(secret.slice(6));
    expect(server.platform.sealer.open(row.secret_enc)).toBe(rotated.body.webhook_secret);
    expect(server.platform.sealer.open(row.previous_secret_enc!)).toBe(partner.webhook_secret);
    const partnerRow = await server.platform.db
      .selectFrom('partners')
      .selectAll()
      .where('id', '=', partner.partner_id)
      .executeTakeFirstOrThrow();
    expect(Object.keys(partnerRow)).not.toContain('webhook_secret_enc');
  });

  it('refuses a bad grace and an unknown partner', async () => {
    const partner = await hookedPartner();
    for (const grace of [-1, '3600', 1.5, 90 * 86400 + 1]) {
      const refused = expectError(await rotate(partner.partner_id, { grace_seconds: grace }), 400, 'invalid_request', 'validation_error');
      expect(refused.details).toEqual([{ field: 'grace_seconds', issue: 'must be a whole number of seconds from 0 to 7776000 (90 days)' }]);
    }
    expectError(await rotate(partner.partner_id, { other: 1 }), 400, 'invalid_request', 'validation_error');
    expectError(await rotate('ptr_doesnotexist', { grace_seconds: 0 }), 404, 'not_found', 'not_found');
    expect((await server.admin(`/partners/${partner.partner_id}`)).body.webhook_secret).toBe(partner.webhook_secret);
  });
});
