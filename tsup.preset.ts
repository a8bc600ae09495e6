import type { Options } from 'tsup';

/**
 * Shared tsup settings for every published @charlearn package:
 * ESM (`.js`) + CJS (`.cjs`) with matching `.d.ts` / `.d.cts`, sourcemaps,
 * tfjs left external (it is a peer dependency).
 */
export function preset(entry: Record<string, string>, overrides: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: false,
    treeshake: true,
    external: [/^@tensorflow\//, /^@charlearn\//],
    ...overrides,
  };
}
