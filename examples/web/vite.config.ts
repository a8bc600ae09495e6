import { defineConfig } from 'vite';

// `base: './'`: the build works from any folder (the e2e test serves dist/ statically).
// The tfjs wasm binaries are imported with `?url` in src/backends.ts, so Vite copies
// them into dist/assets and the wasm plugin is pointed at those URLs.
export default defineConfig({
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
});
