import { describe, expect, it } from 'vitest';
import { EMBED_ENV, FILES, openWidget } from './helpers/embed-kit.ts';
import { expectError, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/** Identity documents over the embed API: judged by their bytes and their size, whatever they are called. */
describe('PUT /embed/v1/kyc/documents/{side}', () => {
  const server = useServerWithPartner({ env: { ...EMBED_ENV, KYC_MAX_UPLOAD_BYTES: '2000' } });
  const upload = async (side: string, bytes: Uint8Array<ArrayBuffer>, contentType = 'image/jpeg') => {
    const widget = await openWidget(server, (await server.createSession(sessionBody())).body);
    return widget.call(`/kyc/documents/${side}`, { method: 'PUT', rawBody: bytes, headers: { 'content-type': contentType } });
  };

  it('takes a JPEG or PNG by its bytes, whatever the declared type, and shows it as uploaded', async () => {
    const jpeg = await upload('front', FILES.jpeg(), 'application/octet-stream');
    expect(jpeg.status, JSON.stringify(jpeg.body)).toBe(200);
    expect(jpeg.body.verification.uploaded).toEqual(['front']);
    expect((await upload('selfie', FILES.png(), 'text/plain')).status).toBe(200);
  });

  it('refuses a text file called a JPEG (415), an empty file (400), an oversized one (413) and an unknown side (400)', async () => {
    expectError(
      await upload('front', new Uint8Array(Buffer.from('just text, not an image'))),
      415,
      'invalid_request',
      'unsupported_media_type',
    );
    expectError(await upload('front', new Uint8Array(0)), 400, 'invalid_request', 'validation_error');
    const big = new Uint8Array(Buffer.concat([Buffer.from(FILES.jpeg()), Buffer.alloc(5_000)]));
    expectError(await upload('front', big), 413, 'invalid_request', 'body_too_large');
    expectError(await upload('passport', FILES.jpeg()), 400, 'invalid_request', 'validation_error');
  });
});
