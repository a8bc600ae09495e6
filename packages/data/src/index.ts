/**
 * @packageDocumentation
 * `@charlearn/data`: the 2-D toy targets of method.md (swiss roll, 8 Gaussians,
 * checkerboard, two moons, and a Gaussian mixture with an exact denoiser),
 * seeded and normalised to zero mean and unit std per coordinate, and user
 * arrays as datasets.
 *
 * @example
 * ```ts
 * import { getTarget } from '@charlearn/data';
 * import { Rng } from '@charlearn/core';
 * const x1 = getTarget('checkerboard').sample(512, new Rng(0)); // Tensor2D [512, 2]
 * ```
 */
export * from './target';
export * from './targets';
export * from './normalisation';
export * from './from-array';
export * from './swiss-roll';
export * from './eight-gaussians';
export * from './checkerboard';
export * from './two-moons';
export * from './gmm';
