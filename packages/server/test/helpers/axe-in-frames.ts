import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

type AxeResults = Awaited<ReturnType<AxeBuilder['analyze']>>;

/**
 * axe over the page and the widget's cross-origin frame. @axe-core/playwright gives itself one second
 * to load axe into each frame and otherwise skips the frame silently (reporting only an incomplete
 * "frame-tested"): on two busy cores that happens, and a check that skipped the widget would pass
 * vacuously. So this runs the analysis again (the script is then warm) until every frame was tested,
 * and fails when one never is.
 */
export async function analyzeWithFrames(
  page: Page,
  configure: (builder: AxeBuilder) => AxeBuilder = (builder) => builder,
): Promise<AxeResults> {
  let results: AxeResults | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    results = await configure(new AxeBuilder({ page })).analyze();
    if (!results.incomplete.some((rule) => rule.id === 'frame-tested')) return results;
  }
  throw new Error(`axe could not get into the widget's frame in 5 attempts: ${JSON.stringify(results?.incomplete.map((rule) => rule.id))}`);
}
