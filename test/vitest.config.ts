import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*.test.ts'],
    // Child processes (npm pack/install, node, tsc) run inside the tests: forks, one file at a time.
    pool: 'forks',
    fileParallelism: false,
    // npm install + three tsc runs on 2 cores; generous for a cold cache.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
