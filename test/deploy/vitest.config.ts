import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The deployment tests (`npx vitest run --config test/deploy/vitest.config.ts`, a step of .ci/run): they build the
 * image's files into a temporary folder, start them, and put Debian's nginx in front. Minutes, not seconds, and they
 * need nginx and PostgreSQL, so the default run (vitest.config.ts) leaves them out.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/deploy/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
