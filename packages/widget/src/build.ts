/**
 * Builds the iframe page into dist/ (`npm run build -w @proof-ramp/widget`): dist/index.html, and its
 * script and styles under dist/assets/ with a content hash in their names, the layout the full widget
 * app's build will keep. The platform serves index.html at /embed/v1/frame and dist/assets/ at
 * /embed/v1/assets/. dist/ is committed (docs/decisions/0018-widget-loader.md); build.test.ts fails
 * when it is not what these sources build to.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const WIDGET_DIST = fileURLToPath(new URL('../dist/', import.meta.url));
/** Where dist/assets/ is served; the page names its files by these absolute paths. */
export const ASSETS_PATH = '/embed/v1/assets/';

const source = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** The files of dist/, by their path in it, as these sources build them. */
export async function buildWidget(): Promise<Map<string, Uint8Array>> {
  const common = { bundle: true, minify: true, legalComments: 'none', charset: 'utf8', write: false, logLevel: 'silent' } as const;
  const script = await build({ ...common, entryPoints: [source('frame.ts')], format: 'iife', target: 'es2022' });
  const styles = await build({ ...common, entryPoints: [source('frame.css')] });
  const files = new Map<string, Uint8Array>();
  let page = readFileSync(source('index.html'), 'utf8');
  for (const [name, kind, contents] of [
    ['frame', 'JS', script.outputFiles[0]!.contents],
    ['frame', 'CSS', styles.outputFiles[0]!.contents],
  ] as const) {
    const file = `assets/${name}.${createHash('sha256').update(contents).digest('hex').slice(0, 12)}.${kind.toLowerCase()}`;
    files.set(file, contents);
    page = page
      .replace(`%FRAME_${kind}%`, `${ASSETS_PATH}${file.slice('assets/'.length)}`)
      .replace(`%FRAME_${kind}_INTEGRITY%`, `sha384-${createHash('sha384').update(contents).digest('base64')}`);
  }
  files.set('index.html', new TextEncoder().encode(page));
  return files;
}

if (import.meta.main) {
  const files = await buildWidget();
  rmSync(join(WIDGET_DIST, 'assets'), { recursive: true, force: true });
  mkdirSync(join(WIDGET_DIST, 'assets'), { recursive: true });
  for (const [name, contents] of files) {
    writeFileSync(join(WIDGET_DIST, name), contents);
    console.log(`${join(WIDGET_DIST, name)}: ${contents.length} bytes`);
  }
}
