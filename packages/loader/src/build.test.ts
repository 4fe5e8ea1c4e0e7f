import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildLoader, LOADER_DIST } from './build.ts';

/** The committed widget.2.0.js is what the platform serves: it must be what these sources build to, and small. */
describe('the built loader', () => {
  it('dist/widget.2.0.js is up to date (run `npm run build -w @proof-ramp/loader` after changing src/)', async () => {
    const built = Buffer.from(await buildLoader());
    expect(built.equals(readFileSync(LOADER_DIST)), 'dist/widget.2.0.js differs from a fresh build').toBe(true);
  });

  it('stays within 2,000 bytes gzip, with no dependency loaded at run time', () => {
    const served = readFileSync(LOADER_DIST);
    expect(gzipSync(served, { level: 9 }).length).toBeLessThanOrEqual(2_000);
    expect(served.toString()).not.toMatch(/\bimport\s*\(|require\(|importScripts/);
  });
});
