import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The files the platform serves to browsers, read once at start from the built packages (their dist/
 * is committed: docs/decisions/0018-widget-loader.md): the loader (@proof-ramp/loader) and the
 * iframe page with its assets (@proof-ramp/widget).
 */
export interface BrowserAssets {
  loader: Served & { etag: string; versionedPath: string };
  framePage: Served;
  /** dist/assets/ of the widget, by file name. */
  assets: Map<string, Served & { contentType: string }>;
}

/** A file's bytes, and the same gzipped once at start (the budgets are about what crosses the wire). */
export interface Served {
  body: Buffer;
  gzip: Buffer;
}

const served = (body: Buffer): Served => ({ body, gzip: gzipSync(body, { level: 9 }) });

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

export function loadBrowserAssets(): BrowserAssets {
  const require = createRequire(import.meta.url);
  const loaderBody = readFileSync(require.resolve('@proof-ramp/loader/widget.2.0.js'));
  const hash = createHash('sha256').update(loaderBody).digest('hex').slice(0, 12);
  const dist = dirname(require.resolve('@proof-ramp/widget/dist/index.html'));
  const assets = new Map<string, Served & { contentType: string }>();
  for (const name of readdirSync(join(dist, 'assets'))) {
    assets.set(name, {
      ...served(readFileSync(join(dist, 'assets', name))),
      contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    });
  }
  return {
    // Under /widget.2.0.…, not /widget/…: that prefix is the partner API (bearer tokens, no-store).
    // Weak: the gzipped and the plain answer share it (RFC 9110 §8.8.1).
    loader: { ...served(loaderBody), etag: `W/"${hash}"`, versionedPath: `/widget.2.0.${hash}.js` },
    framePage: served(readFileSync(join(dist, 'index.html'))),
    assets,
  };
}
