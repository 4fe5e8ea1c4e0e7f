import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../lib/errors.ts';
import type { Platform } from '../../platform.ts';
import { findWidgetOrigins } from '../partners/partner-service.ts';
import { type BrowserAssets, loadBrowserAssets, type Served } from './browser-assets.ts';
import { framePageHeaders, hostedPageHeaders } from './frame-policy.ts';

/**
 * What browsers load from the platform:
 * - GET /widget.2.0.js: the loader, cached 5 minutes (a fix reaches every partner page that soon),
 *   with an ETag for cheap revalidation and its versioned copy named in Content-Location;
 * - GET /widget.2.0.<hash>.js: the same bytes under a name that changes with them, cached for a year
 *   (immutable), for partners who pin it (with Subresource Integrity). Only the running build's copy
 *   is served: a pinned name answers 404 after an upgrade changed the loader;
 * - GET /embed/v1/frame?widget_id=…&parent_origin=…: the iframe page, framable only by that widget's
 *   partner's registered origins (see frame-policy.ts), and /embed/v1/assets/<file>, its files,
 *   named by their content hash and cached for a year;
 * - GET /embed/v1/hosted?widget_id=…: the same page at the top level (Android Custom Tabs, plain
 *   redirects; docs/mobile.md), framable by no one. The session travels in the URL's fragment,
 *   which browsers never send to a server; the page reads it and removes it from the address bar.
 * Both loader copies may be fetched cross-origin with CORS (`crossorigin` + `integrity` on the
 * partner's script tag) and embedded by pages that require CORP. Every file is sent gzipped to a
 * client that takes gzip (compressed once at start), so the sizes in docs/benchmarks.md are what
 * crosses the wire even with no compressing proxy in front.
 */
export function registerWidgetAssetRoutes(app: FastifyInstance, platform: Platform, assets: BrowserAssets = loadBrowserAssets()): void {
  const { loader } = assets;
  const serveLoader = (cacheControl: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', cacheControl)
      .header('etag', loader.etag)
      .header('content-location', loader.versionedPath)
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin');
    if (matchesEtag(request.headers['if-none-match'], loader.etag)) return reply.code(304).header('vary', 'accept-encoding').send();
    return sendFile(request, reply, loader);
  };
  app.get('/widget.2.0.js', { schema: { hide: true } }, serveLoader('public, max-age=300'));
  app.get(loader.versionedPath, { schema: { hide: true } }, serveLoader('public, max-age=31536000, immutable'));

  app.get('/embed/v1/frame', { schema: { hide: true } }, async (request, reply) => {
    const widgetId = (request.query as Record<string, unknown>).widget_id;
    const origins = typeof widgetId === 'string' && WIDGET_ID.test(widgetId) ? await findWidgetOrigins(platform, widgetId) : null;
    reply.headers(framePageHeaders(origins)).header('content-type', 'text/html; charset=utf-8');
    if (origins === null) return reply.code(404).send(UNKNOWN_WIDGET_PAGE);
    return sendFile(request, reply, assets.framePage);
  });

  app.get('/embed/v1/hosted', { schema: { hide: true } }, async (request, reply) => {
    const widgetId = (request.query as Record<string, unknown>).widget_id;
    // Looked up like the frame's: an unknown or disabled widget gets no page to open a session in.
    const origins = typeof widgetId === 'string' && WIDGET_ID.test(widgetId) ? await findWidgetOrigins(platform, widgetId) : null;
    reply.headers(hostedPageHeaders()).header('content-type', 'text/html; charset=utf-8');
    if (origins === null) return reply.code(404).send(UNKNOWN_WIDGET_PAGE);
    return sendFile(request, reply, assets.framePage);
  });

  app.get<{ Params: { file: string } }>('/embed/v1/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const asset = assets.assets.get(request.params.file);
    if (!asset) throw new ApiError('not_found', 'No such widget file.');
    reply
      .header('content-type', asset.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('cross-origin-resource-policy', 'same-origin');
    return sendFile(request, reply, asset);
  });
}

/** Widget ids are `wgt_` and base62; anything else is not looked up. */
const WIDGET_ID = /^wgt_[0-9A-Za-z]{1,64}$/;

/** The gzipped bytes to a client that takes gzip, the plain ones otherwise. */
function sendFile(request: FastifyRequest, reply: FastifyReply, file: Served) {
  reply.header('vary', 'accept-encoding');
  if (!acceptsGzip(request.headers['accept-encoding'])) return reply.send(file.body);
  return reply.header('content-encoding', 'gzip').send(file.gzip);
}

function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((entry) => {
    const [coding, ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    return (coding === 'gzip' || coding === '*') && !parameters.some((parameter) => /^q=0(\.0*)?$/.test(parameter));
  });
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  // Weak comparison (RFC 9110 §13.1.2): W/"x" and "x" match.
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/** Shown only when opened on its own (or as the hosted page): no one may frame an unknown widget's page. */
const UNKNOWN_WIDGET_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Unknown widget</title></head>
<body><main><h1>Unknown widget</h1><p>No active partner has this widget id.</p></main></body></html>
`;
