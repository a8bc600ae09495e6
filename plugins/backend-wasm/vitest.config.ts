import { defineConfig } from 'vitest/config';
import { sharedTest } from '../../vitest.shared';
import { tfjsGradientsVitePlugin } from './tools/tfjs-gradients';

export default defineConfig({
  plugins: [tfjsGradientsVitePlugin()],
  test: sharedTest('backend-wasm'),
});
