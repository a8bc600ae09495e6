import { defineConfig } from 'vitest/config';
import { tfjsGradientsVitePlugin } from './tools/tfjs-gradients';

export default defineConfig({
  plugins: [tfjsGradientsVitePlugin()],
  test: { include: ['src/**/*.test.ts'], pool: 'forks', testTimeout: 60_000 },
});
