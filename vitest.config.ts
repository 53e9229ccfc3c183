import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources; worker threads and AssemblyScript outputs come from `npm run build`
// (which `npm test` runs first).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // fast-check: one seed per run, printed, replayable with FC_SEED=N.
    globalSetup: ['tests/setup/fast-check-seed.ts'],
    setupFiles: ['tests/setup/fast-check.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
