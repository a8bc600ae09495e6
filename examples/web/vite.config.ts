import { defineConfig } from 'vite';

// `base: './'`: the build works from any folder (the e2e test serves dist/ statically).
// The tfjs wasm binaries are imported with `?url` in src/backends.ts, so Vite copies
// them into dist/assets and the wasm plugin is pointed at those URLs.
// COOP/COEP make the page cross-origin isolated (SharedArrayBuffer), so the wasm backend can run its threaded
// SIMD binary (src/backends.ts: opt in with ?threads=2). Serve dist/ with the same two headers.
const crossOriginIsolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  base: './',
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
});
