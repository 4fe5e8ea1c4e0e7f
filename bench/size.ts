/**
 * npm run bench:size — how many bytes a partner's page and the widget's iframe download: the loader
 * (widget.2.0.js, budget 2,000 bytes gzip), the iframe page's initial JavaScript (what runs before
 * the first screen: budget 40 KB gzip) and the steps loaded later, raw, gzip -9 and brotli at its
 * highest quality, as served (the committed dist/ files), and whether they are what the sources
 * build to now. Writes docs/benchmarks.md. A measurement, not a test: the budgets are enforced by
 * packages/loader/src/build.test.ts and packages/widget/src/build.test.ts.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { buildLoader, LOADER_DIST } from '../packages/loader/src/build.ts';
import { buildWidget, WIDGET_DIST } from '../packages/widget/src/build.ts';
import { initialScripts } from '../packages/widget/src/initial-scripts.ts';

const LOADER_BUDGET_GZIP = 2_000;
const INITIAL_JS_BUDGET_GZIP = 40 * 1024;

interface Row {
  what: string;
  file: string;
  raw: number;
  gzip: number;
  brotli: number;
}

const measure = (what: string, file: string, bytes: Uint8Array): Row => ({
  what,
  file,
  raw: bytes.length,
  gzip: gzipSync(bytes, { level: 9 }).length,
  brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } }).length,
});

const loader = readFileSync(LOADER_DIST);
const page = readFileSync(join(WIDGET_DIST, 'index.html'));
const initial = new Set(initialScripts(page.toString()).map((file) => file.slice('assets/'.length)));
const assets = readdirSync(join(WIDGET_DIST, 'assets')).sort(
  (a, b) => Number(initial.has(b)) - Number(initial.has(a)) || a.localeCompare(b),
);
const describe = (name: string) =>
  name.endsWith('.css') ? 'iframe styles' : initial.has(name) ? 'iframe script, initial' : `iframe script, loaded at its step`;
const rows: Row[] = [
  measure('loader (partner page)', '/widget.2.0.js', loader),
  measure('iframe page', '/embed/v1/frame', page),
  ...assets.map((name) => measure(describe(name), `/embed/v1/assets/${name}`, readFileSync(join(WIDGET_DIST, 'assets', name)))),
];
const initialJs = rows.filter((row) => row.what === 'iframe script, initial');
const initialGzip = initialJs.reduce((sum, row) => sum + row.gzip, 0);

const freshLoader = Buffer.from(await buildLoader()).equals(loader);
const freshWidget = [...(await buildWidget())].every(([name, bytes]) => Buffer.from(bytes).equals(readFileSync(join(WIDGET_DIST, name))));

const table = [
  '| what | served at | raw bytes | gzip -9 | brotli 11 |',
  '|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.what} | \`${row.file.replace(/\.[0-9a-f]{12}\./, '.<hash>.').replace(/-[\w-]{8}\.(js|css)$/, '-<hash>.$1')}\` | ${row.raw} | ${row.gzip} | ${row.brotli} |`,
  ),
];
console.log(table.join('\n'));
const loaderGzip = rows[0]!.gzip;
console.log(
  `\nloader: ${loaderGzip} bytes gzip of a ${LOADER_BUDGET_GZIP} budget; iframe initial JavaScript: ${initialGzip} bytes gzip (${initialJs.length} file) of a ${INITIAL_JS_BUDGET_GZIP} budget; dist/ matches the sources: loader ${freshLoader}, iframe page ${freshWidget}`,
);

const section = [
  '<!-- bench:size:start -->',
  '## Widget download sizes (`npm run bench:size`)',
  '',
  `Measured on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}: the files as served (the committed builds${freshLoader && freshWidget ? ', which match their sources' : ', NOT matching their sources: rebuild with `npm run build:widget`'}), compressed by Node's zlib; the platform sends the gzip -9 bytes to every browser that accepts gzip. A partner's page downloads only the loader; the iframe page and its files load inside the iframe.`,
  '',
  ...table,
  '',
  `The loader is **${loaderGzip} bytes gzip** against a budget of ${LOADER_BUDGET_GZIP} (enforced by \`packages/loader/src/build.test.ts\`), with no dependency fetched afterwards. The widget's **initial JavaScript is ${initialGzip} bytes gzip** (${(initialGzip / 1024).toFixed(1)} KB) against a budget of 40 KB (${INITIAL_JS_BUDGET_GZIP} bytes, enforced by \`packages/widget/src/build.test.ts\`): the scripts the page names or preloads, which draw the amount, processing and result screens. Verification (camera), payment, payout card and deposit (QR code) load when the user reaches them; their chunks are listed as "loaded at its step".`,
  '<!-- bench:size:end -->',
].join('\n');

const file = new URL('../docs/benchmarks.md', import.meta.url);
let document = readFileSync(file, 'utf8');
const pattern = /<!-- bench:size:start -->[\s\S]*<!-- bench:size:end -->/;
document = pattern.test(document) ? document.replace(pattern, section) : `${document.trimEnd()}\n\n${section}\n`;
writeFileSync(file, document);
console.log('\nWrote docs/benchmarks.md');
