import { defineConfig } from 'vitest/config';

/** `npm run test:chaos`: short by default (CI); CHAOS_FULL=1 runs the full counts. */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
  },
});
