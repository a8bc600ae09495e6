import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Test settings shared by every workspace: forks pool (tfjs + wasm are happier
 * in processes than in worker threads) and a JSON report per workspace under
 * `.test-results/`, which `scripts/test-summary.mjs` adds up into the closing
 * `N passed, N failed` line of `npm test`.
 */
export function sharedTest(name: string, overrides: NonNullable<ViteUserConfig['test']> = {}): NonNullable<ViteUserConfig['test']> {
  return {
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: join(root, '.test-results', `${name}.json`) },
    ...overrides,
  };
}
