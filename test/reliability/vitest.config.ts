/**
 * `npm run test:reliability`: the big runs of issue 5, one local stack per file, one file at a
 * time (each run wants the machine's two cores), and a summary table at the end.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/reliability/**/*.reliability.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/reliability/global-setup.ts'],
  },
});
