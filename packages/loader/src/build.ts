/**
 * Builds widget.2.0.js from src/loader.ts into dist/ (`npm run build -w @proof-ramp/loader`). The
 * built file is committed and served as it is (docs/decisions/0018-widget-loader.md): the platform
 * needs no build step at install or start, and build.test.ts fails when dist/ is not what these
 * sources build to.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const LOADER_DIST = fileURLToPath(new URL('../dist/widget.2.0.js', import.meta.url));

/** The loader as served: one minified IIFE for browsers from 2020 on (optional chaining stays native). */
export async function buildLoader(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./loader.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2021',
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.contents;
}

if (import.meta.main) {
  const built = await buildLoader();
  writeFileSync(LOADER_DIST, built);
  console.log(`${LOADER_DIST}: ${built.length} bytes`);
}
