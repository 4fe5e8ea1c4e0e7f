import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createWebhookSigner } from './webhook-signer.ts';

describe('createWebhookSigner', () => {
  const sign = createWebhookSigner();
  const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
  const now = new Date('2026-11-30T12:00:00.500Z');
  const body = JSON.stringify({ status: 'completed', amount: '100.00', note: 'é ✓' });

  it('signs exactly as the standardwebhooks library does, and the library verifies it', () => {
    const one = secret();
    const signature = sign({ id: 'msg_1', secrets: [one], now, body });
    expect(signature).toBe(new Webhook(one).sign('msg_1', now, body));
    // The library also checks the timestamp against its own clock, so verification uses the present.
    const fresh = new Date();
    const current = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(fresh.getTime() / 1000)),
      'webhook-signature': sign({ id: 'msg_1', secrets: [one], now: fresh, body }),
    };
    expect(new Webhook(one).verify(body, current)).toEqual(JSON.parse(body));
  });

  it('gives one signature per secret, each the library’s, and a secret without its prefix decodes the same', () => {
    const [a, b] = [secret(), secret()];
    const both = sign({ id: 'msg_2', secrets: [a, b], now, body }).split(' ');
    expect(both).toEqual([new Webhook(a).sign('msg_2', now, body), new Webhook(b).sign('msg_2', now, body)]);
    expect(sign({ id: 'msg_2', secrets: [a.slice('whsec_'.length)], now, body })).toBe(both[0]);
  });

  it('agrees with Node’s HMAC for keys of every length around the block (a longer key is hashed first) and bodies of any size', () => {
    for (const length of [1, 24, 32, 63, 64, 65, 100]) {
      const key = randomBytes(length);
      for (const text of ['', body, 'x'.repeat(100_000)]) {
        const expected = `v1,${createHmac('sha256', key)
          .update(`msg_3.${Math.floor(now.getTime() / 1000)}.${text}`)
          .digest('base64')}`;
        expect(sign({ id: 'msg_3', secrets: [`whsec_${key.toString('base64')}`], now, body: text })).toBe(expected);
      }
    }
  });
});
