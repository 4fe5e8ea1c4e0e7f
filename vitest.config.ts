import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Unit tests (beside the code, `src/**\/*.test.ts`) run once, and so do the adapter conformance suites
 * (`test/conformance/`: every adapter of a capability through one scenario suite; no database).
 * Integration tests (`test/**\/*.test.ts`: real HTTP against a real database) run on the embedded
 * database, and again on PostgreSQL when TEST_DATABASE_URL is set; each test file works in its own
 * fresh schema there.
 */
const conformance = ['packages/*/test/conformance/**/*.test.ts'];
const integration = { include: ['packages/*/test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...conformance] };
const projects = [
  { test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] } },
  { test: { name: 'conformance', include: conformance } },
  { test: { name: 'pglite', ...integration, env: { PROOF_TEST_DB: 'pglite' } } },
];
if (process.env.TEST_DATABASE_URL) {
  projects.push({ test: { name: 'postgres', ...integration, env: { PROOF_TEST_DB: 'postgres' } } });
}

export default defineConfig({
  test: {
    projects,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
