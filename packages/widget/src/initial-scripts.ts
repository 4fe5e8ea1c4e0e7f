/**
 * The scripts a browser fetches before the widget can run: the page's module scripts and the files
 * it preloads (dist/ paths). The 40 KB gzip budget is about these; steps loaded later are not counted.
 */
export function initialScripts(page: string): string[] {
  const found = [...page.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="\/embed\/v1\/(assets\/[^"]+\.js)"/g)];
  return [...new Set(found.map((match) => match[1]!))];
}
