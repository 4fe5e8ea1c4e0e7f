import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildWidget, WIDGET_DIST } from './build.ts';
import { initialScripts } from './initial-scripts.ts';

/** The committed dist/ is what the platform serves as the iframe page: it must be what these sources build to. */
describe('the built widget app', () => {
  it('dist/ is up to date (run `npm run build -w @proof-ramp/widget` after changing src/)', async () => {
    const built = await buildWidget();
    const committed = ['index.html', ...readdirSync(join(WIDGET_DIST, 'assets')).map((name) => `assets/${name}`)];
    expect(committed.sort()).toEqual([...built.keys()].sort());
    for (const [name, contents] of built) {
      expect(Buffer.from(contents).equals(readFileSync(join(WIDGET_DIST, name))), `dist/${name} differs from a fresh build`).toBe(true);
    }
  }, 60_000);

  it('the page has no inline script or style: its CSP allows none', () => {
    const page = readFileSync(join(WIDGET_DIST, 'index.html'), 'utf8');
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('the initial JavaScript stays within 40 KB gzip; the camera, card and deposit steps load later', () => {
    const page = readFileSync(join(WIDGET_DIST, 'index.html'), 'utf8');
    const scripts = initialScripts(page);
    expect(scripts.length).toBeGreaterThan(0);
    const gzip = scripts.reduce((sum, file) => sum + gzipSync(readFileSync(join(WIDGET_DIST, file)), { level: 9 }).length, 0);
    expect(gzip).toBeLessThanOrEqual(40 * 1024);
    const later = readdirSync(join(WIDGET_DIST, 'assets')).filter((name) =>
      /^(verification|payment|payout-card|deposit)-screen-/.test(name),
    );
    expect(later).toHaveLength(4);
    for (const name of later) expect(scripts).not.toContain(`assets/${name}`);
  });
});
