import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWidget, WIDGET_DIST } from './build.ts';

/** The committed dist/ is what the platform serves as the iframe page: it must be what these sources build to. */
describe('the built iframe page', () => {
  it('dist/ is up to date (run `npm run build -w @proof-ramp/widget` after changing src/)', async () => {
    const built = await buildWidget();
    const committed = ['index.html', ...readdirSync(join(WIDGET_DIST, 'assets')).map((name) => `assets/${name}`)];
    expect(committed.sort()).toEqual([...built.keys()].sort());
    for (const [name, contents] of built) {
      expect(Buffer.from(contents).equals(readFileSync(join(WIDGET_DIST, name))), `dist/${name} differs from a fresh build`).toBe(true);
    }
  });

  it('the page has no inline script or style: its CSP allows none', () => {
    const page = readFileSync(join(WIDGET_DIST, 'index.html'), 'utf8');
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(page.match(/integrity="sha384-[A-Za-z0-9+/]+=*"/g)).toHaveLength(2);
  });
});
