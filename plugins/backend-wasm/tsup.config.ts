import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';
import { tfjsGradientsEsbuildPlugin } from './tools/tfjs-gradients';

// `shims` gives the CJS build a working `import.meta.url` (used to locate the .wasm binaries in Node).
// The bundled gradient configs are tfjs-core code (Apache-2.0): keep the notice.
const banner = {
  js: '/* @charlearn/backend-wasm. Includes the gradient configs of @tensorflow/tfjs-core 4.22 (dist/gradients), Copyright 2020 Google LLC, Apache License 2.0. */',
};

export default defineConfig(preset({ index: 'src/index.ts' }, { shims: true, banner, esbuildPlugins: [tfjsGradientsEsbuildPlugin()] }));
