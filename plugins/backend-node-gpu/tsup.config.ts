import { defineConfig } from 'tsup';

// The monorepo's house settings (tsup.preset.ts), written out so that this
// package builds the same way when copied out of the repository: ESM (.js) +
// CJS (.cjs) with .d.ts / .d.cts, sourcemaps, and tfjs and @charlearn/* left
// external (tfjs is a peer; @charlearn/core must stay one shared instance so
// that plugins land in the one registry).
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: false,
  treeshake: true,
  external: [/^@tensorflow\//, /^@charlearn\//],
  // a working import.meta.url in the CJS build (resolves the optional peer from this package's location)
  shims: true,
});
