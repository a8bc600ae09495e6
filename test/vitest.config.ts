import { defineConfig } from 'vitest/config';
import { sharedTest } from '../vitest.shared';

export default defineConfig({
  test: sharedTest('cross-package', {
    include: ['*.test.ts', 'fuzz/*.test.ts', 'faults/*.test.ts', 'release/*.test.ts', 'browser/*.test.ts'],
    // Child processes (npm pack/install, node, tsc) run inside the tests: one file at a time.
    fileParallelism: false,
    // npm install + three tsc runs on 2 cores; generous for a cold cache.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  }),
});
