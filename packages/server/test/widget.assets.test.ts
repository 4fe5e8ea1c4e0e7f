import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hostedWidgetUrl } from '../../sdk-node/src/index.ts';
import { expectError, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

const require = createRequire(import.meta.url);
const builtLoader = readFileSync(require.resolve('@proof-ramp/loader/widget.2.0.js'));
const raw = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });

/** What browsers load: the loader (and its versioned copy), the iframe page with its policy, and its files. */
describe('the widget’s files', () => {
  const server = useServerWithPartner({ partner: { origins: ['https://app.partner.example', 'com.partner.app'] } });

  it('/widget.2.0.js is the built loader, cached 5 minutes, revalidated by ETag, loadable cross-origin', async () => {
    const response = await raw(`${server.url}/widget.2.0.js`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(builtLoader)).toBe(true);
    const hash = createHash('sha256').update(builtLoader).digest('hex').slice(0, 12);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=300',
      etag: `W/"${hash}"`,
      'content-location': `/widget.2.0.${hash}.js`,
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
    });
    const again = await raw(`${server.url}/widget.2.0.js`, { 'if-none-match': `W/"other", "${hash}"` });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('a browser that takes gzip gets the loader gzipped, within its 2,000-byte budget on the wire', async () => {
    const gzipped = await get(`${server.url}/widget.2.0.js`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.body.length).toBeLessThanOrEqual(2_000);
    expect(gunzipSync(gzipped.body).equals(builtLoader)).toBe(true);
    const plain = await get(`${server.url}/widget.2.0.js`, { 'accept-encoding': 'gzip;q=0, identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(builtLoader)).toBe(true);
  });

  it('the versioned copy has the same bytes and is immutable; another hash is not served', async () => {
    const location = (await raw(`${server.url}/widget.2.0.js`)).headers.get('content-location')!;
    const response = await raw(`${server.url}${location}`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(builtLoader)).toBe(true);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await raw(`${server.url}/widget.2.0.000000000000.js`)).status).toBe(404);
    // /widget/ stays the partner API: the loader is not there.
    expect((await raw(`${server.url}/widget/2.0.js`)).status).toBe(404);
  });

  it('the iframe page: framable only by the partner’s registered web origins, its own files only, no referrer, not cached', async () => {
    const response = await raw(
      `${server.url}/embed/v1/frame?widget_id=${server.partner.widget_id}&parent_origin=https%3A%2F%2Fapp.partner.example`,
    );
    expect(response.status).toBe(200);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy':
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
        "form-action 'self'; frame-ancestors https://app.partner.example",
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    const page = await response.text();
    expect(page).toContain('<div id="widget">');
    // Every script is a file of the platform's (the CSP allows no inline code).
    const scripts = [...page.matchAll(/<script\b([^>]*)>/g)].map((match) => match[1]);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toMatch(/src="\/embed\/v1\/assets\/index-[\w-]{8}\.js"/);

    const script = await raw(`${server.url}${/src="([^"]+)"/.exec(scripts[0]!)![1]}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expectError(await fetch(`${server.url}/embed/v1/assets/nothing.js`).then(toResult), 404, 'not_found', 'not_found');
  });

  it('an unknown, malformed, missing or disabled widget may be framed by no one', async () => {
    const other = await server.createPartner({ name: 'Disabled Partner', origins: ['https://disabled.example'] });
    expect((await server.admin(`/partners/${other.partner_id}/disable`, { method: 'POST' })).status).toBe(200);
    for (const query of ['widget_id=wgt_unknown000000000000', 'widget_id=%27none%27%3B', '', `widget_id=${other.widget_id}`]) {
      const response = await raw(`${server.url}/embed/v1/frame?${query}`);
      expect(response.status, query).toBe(404);
      expect(response.headers.get('content-security-policy'), query).toContain("frame-ancestors 'none'");
      expect(await response.text()).toContain('Unknown widget');
    }
  });

  it('a new origin registered for the partner may frame the page at once', async () => {
    const partner = await server.createPartner({ name: 'Growing Partner', origins: ['https://one.example'] });
    const frame = () => raw(`${server.url}/embed/v1/frame?widget_id=${partner.widget_id}`);
    expect((await frame()).headers.get('content-security-policy')).toMatch(/frame-ancestors https:\/\/one\.example$/);
    const updated = await server.admin(`/partners/${partner.partner_id}`, {
      method: 'PATCH',
      body: { origins: ['https://one.example', 'https://two.example'] },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect((await frame()).headers.get('content-security-policy')).toMatch(
      /frame-ancestors https:\/\/one\.example https:\/\/two\.example$/,
    );
  });
});

/** The hosted page: the same widget page at the top level (Custom Tabs, redirects), its session in the URL's fragment. */
describe('the hosted page', () => {
  const server = useServerWithPartner({ partner: { origins: ['https://app.partner.example'] } });

  const HOSTED_POLICY =
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
    "form-action 'self'; frame-ancestors 'none'";

  it('is the frame page’s bytes, framable by no one, with no referrer and no caching', async () => {
    const session = await server.createSession(sessionBody({ type: 'sell' }));
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    const url = hostedWidgetUrl(server.url, session.body);
    expect(url.startsWith(`${server.url}/embed/v1/hosted?widget_id=${server.partner.widget_id}#`)).toBe(true);

    const hosted = await get(url.split('#')[0]!, { 'accept-encoding': 'identity' });
    const frame = await get(`${server.url}/embed/v1/frame?widget_id=${server.partner.widget_id}`, { 'accept-encoding': 'identity' });
    expect(hosted.status).toBe(200);
    expect(hosted.body.equals(frame.body)).toBe(true);
    expect(hosted.body.equals(readFileSync(require.resolve('@proof-ramp/widget/dist/index.html')))).toBe(true);
    expect(hosted.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': HOSTED_POLICY,
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
    });
    // Gzipped like the frame page to a browser that takes it.
    const gzipped = await get(url.split('#')[0]!, { 'accept-encoding': 'gzip' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzipped.body).equals(frame.body)).toBe(true);
  });

  it('a client following the full URL sends no fragment: the session never reaches the server', async () => {
    const session = await server.createSession(sessionBody());
    const url = hostedWidgetUrl(server.url, session.body);
    const seen: string[] = [];
    const onRequest = (request: http.IncomingMessage) => seen.push(request.url ?? '');
    server.app.server.on('request', onRequest);
    const response = await fetch(url).finally(() => server.app.server.off('request', onRequest));
    expect(response.status).toBe(200);
    expect(seen).toEqual([`/embed/v1/hosted?widget_id=${server.partner.widget_id}`]);
    expect(seen.join()).not.toContain(session.body.init_token);
  });

  it('never frames, whatever the partner registered, and an unknown, malformed, missing or disabled widget gets 404', async () => {
    const other = await server.createPartner({ name: 'Disabled Partner', origins: ['https://disabled.example'] });
    expect((await server.admin(`/partners/${other.partner_id}/disable`, { method: 'POST' })).status).toBe(200);
    for (const query of ['widget_id=wgt_unknown000000000000', 'widget_id=%27none%27%3B', '', `widget_id=${other.widget_id}`]) {
      const response = await raw(`${server.url}/embed/v1/hosted?${query}`);
      expect(response.status, query).toBe(404);
      expect(response.headers.get('content-security-policy'), query).toBe(HOSTED_POLICY);
      expect(response.headers.get('cache-control'), query).toBe('no-store');
      expect(await response.text()).toContain('Unknown widget');
    }
  });
});

/** A GET that leaves the body as it came over the wire (fetch would decode it). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

async function toResult(response: Response) {
  return { status: response.status, headers: response.headers, body: await response.json() };
}
