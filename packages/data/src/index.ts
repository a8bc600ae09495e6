/**
 * @packageDocumentation
 * `@charlearn/data`: the 2-D toy targets of method.md (swiss roll, 8 Gaussians,
 * checkerboard, two moons, and a Gaussian mixture with an exact denoiser),
 * seeded and normalised to zero mean and unit std per coordinate, and user
 * arrays as datasets; image sets (NHWC float32 in [0, 1]) as datasets in
 * [-1, 1] via `imageDataset`. The Node-only image loaders (`loadMnist`,
 * `loadFashionMnist`, `loadCifar10`) are in the subpath
 * `@charlearn/data/images`, so that this entry stays browser-safe.
 *
 * @example
 * ```ts
 * import { getTarget } from '@charlearn/data';
 * import { Rng } from '@charlearn/core';
 * const x1 = getTarget('checkerboard').sample(512, new Rng(0)); // Tensor2D [512, 2]
 * ```
 *
 * @module @charlearn/data
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
export * from './image-set';
export * from './image-dataset';
export * from './data-config';
export * from './holdout';
export * from './image-array';
