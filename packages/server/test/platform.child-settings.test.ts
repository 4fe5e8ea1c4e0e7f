import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chainSettingNames } from '../src/modules/settlement/chain-settings.ts';
import { SETTINGS } from './helpers/proof-child.ts';

/** The child processes of the tests start from a clean environment only if the list of settings they clear is complete. */
describe('the settings a test child clears', () => {
  it('are every setting config.ts reads', () => {
    const source = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');
    const read = new Set(
      [...source.matchAll(/env, '([A-Z][A-Z0-9_]+)'/g), ...source.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((match) => match[1]!),
    );
    read.delete('LOG_LEVEL'); // set by every child on purpose
    // The chain settings are named per network, built from the catalog rather than spelled out.
    for (const name of chainSettingNames()) read.add(name);
    expect([...SETTINGS].sort()).toEqual([...read].sort());
  });
});
