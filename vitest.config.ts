import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources; worker threads and AssemblyScript outputs come from `npm run build`
// (which `npm test` runs first).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
