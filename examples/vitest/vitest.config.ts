import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One graph-lro for the whole run, whatever the number of test files and workers.
    globalSetup: ['./vitest/global-setup.ts'],
    include: ['vitest/**/*.test.ts'],
  },
});
