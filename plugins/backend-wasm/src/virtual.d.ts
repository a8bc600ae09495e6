/**
 * Served at build time by `tools/tfjs-gradients.ts` (tsup and vitest plugins):
 * tfjs-core 4.22's gradient configs, bundled so that Node can load them.
 */
declare module 'virtual:charlearn-tfjs-gradient-configs' {
  import type { GradConfig } from '@tensorflow/tfjs-core';
  export const gradConfigs: readonly GradConfig[];
}
