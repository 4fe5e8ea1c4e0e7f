/**
 * Builds the widget app into dist/ (`npm run build -w @proof-ramp/widget`) with Vite: dist/index.html,
 * and its scripts and styles under dist/assets/ with a content hash in their names. The platform
 * serves index.html at /embed/v1/frame (and /embed/v1/hosted) and dist/assets/ at /embed/v1/assets/.
 * dist/ is committed (docs/decisions/0018-widget-loader.md); build.test.ts fails when it is not what
 * these sources build to.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const WIDGET_DIST = fileURLToPath(new URL('../dist/', import.meta.url));
/** Where dist/assets/ is served; the page names its files by these absolute paths. */
export const ASSETS_PATH = '/embed/v1/assets/';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(PACKAGE, 'vite.config.ts');

/** The files of dist/, by their path in it, as these sources build them. */
export async function buildWidget(): Promise<Map<string, Uint8Array>> {
  // The same bytes from any caller: a test runner's NODE_ENV=test must not turn on development
  // builds, and the chunks' hashes depend on the working folder, so the build runs from the package's.
  const callerFolder = process.cwd();
  process.chdir(PACKAGE);
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      configFile: CONFIG,
      mode: 'production',
      define: { 'process.env.NODE_ENV': '"production"' },
      build: { write: false },
    });
  } finally {
    process.chdir(callerFolder);
  }
  const outputs = (Array.isArray(result) ? result : [result]) as {
    output: { fileName: string; code?: string; source?: string | Uint8Array }[];
  }[];
  const files = new Map<string, Uint8Array>();
  for (const item of outputs.flatMap((entry) => entry.output)) {
    const contents = item.code ?? item.source ?? '';
    files.set(item.fileName, typeof contents === 'string' ? new TextEncoder().encode(contents) : contents);
  }
  return files;
}

if (import.meta.main) {
  const files = await buildWidget();
  rmSync(join(WIDGET_DIST, 'assets'), { recursive: true, force: true });
  for (const [name, contents] of files) {
    mkdirSync(dirname(join(WIDGET_DIST, name)), { recursive: true });
    writeFileSync(join(WIDGET_DIST, name), contents);
    console.log(`${join(WIDGET_DIST, name)}: ${contents.length} bytes`);
  }
}
