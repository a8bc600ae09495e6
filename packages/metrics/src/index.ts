/**
 * @packageDocumentation
 * `@charlearn/metrics`: distances between point sets for low-dimensional
 * generative models: exact W2 by optimal assignment (sparse shortest
 * augmenting paths with a full dual certificate; dense LAPJV), log-domain
 * Sinkhorn W2 for larger or unequal sets, and RBF MMD. Inputs are flat
 * row-major Float32Array/Float64Array (with `dim`), `Tensor2D [n, dim]` or
 * `number[][]`.
 *
 * @example
 * ```ts
 * import { exactW2, mmdRbf } from '@charlearn/metrics';
 * const w2 = exactW2(generated, heldOut);   // n = 2000 in 2-D: well under a second
 * const mmd2 = mmdRbf(generated, heldOut);   // unbiased, median-heuristic bandwidth
 * ```
 *
 * @module @charlearn/metrics
 */
export { toPoints, squaredDistanceMatrix, type PointSet, type Points } from './points';
export * from './assignment';
export * from './matching';
export * from './exact-w2';
export * from './sinkhorn';
export * from './mmd';
export * from './protocol';
// Feature-net Fréchet distance: FD(charlearn-mnist-cnn), FD(charlearn-fashion-mnist-cnn)
export { meanAndCovariance, symmetricEigen, symmetricSqrt, applySpectralFunction, matMulSquare, trace, type SymmetricEigen } from './linalg';
export * from './fd';
export * from './feature-net-arch';
export * from './feature-net';
export * from './feature-net-load';
export * from './feature-net-fd';
// Sample grids and the PNG encoder (browser-safe; writeImageGrid is Node-only)
export * from './png';
export * from './image-grid';
