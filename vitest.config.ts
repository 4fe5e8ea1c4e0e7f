import { defineConfig } from 'vitest/config';

/**
 * Unit tests (beside the code, `src/**\/*.test.ts`) run once. Integration tests (`test/**\/*.test.ts`:
 * real HTTP against a real database) run on the embedded database, and again on PostgreSQL when
 * TEST_DATABASE_URL is set; each test file works in its own fresh schema there.
 */
const integration = ['packages/*/test/**/*.test.ts'];
const projects = [
  { test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] } },
  { test: { name: 'pglite', include: integration, env: { PROOF_TEST_DB: 'pglite' } } },
];
if (process.env.TEST_DATABASE_URL) {
  projects.push({ test: { name: 'postgres', include: integration, env: { PROOF_TEST_DB: 'postgres' } } });
}

export default defineConfig({
  test: {
    projects,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
