import type { Rng } from '@charlearn/core';

/** Radius of the ring of 8 Gaussians, in raw units. */
export const EIGHT_GAUSSIANS_RADIUS = 2;
/** Std of each of the 8 Gaussians, in raw units. */
export const EIGHT_GAUSSIANS_STD = 0.1;

/**
 * Raw 8-Gaussians points, `n × 2` row-major float64: 8 equal-weight
 * `N(2·(cos 2πk/8, sin 2πk/8), 0.1²·I)`. Draws per point: the component
 * `k = ⌊8u⌋`, then two normals.
 *
 * @example
 * ```ts
 * const raw = eightGaussiansRaw(1000, new Rng(0)); // Float64Array(2000)
 * ```
 */
export function eightGaussiansRaw(n: number, rng: Rng): Float64Array {
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const angle = (2 * Math.PI * Math.floor(8 * rng.uniform())) / 8;
    out[2 * i] = EIGHT_GAUSSIANS_RADIUS * Math.cos(angle) + EIGHT_GAUSSIANS_STD * rng.normal();
    out[2 * i + 1] = EIGHT_GAUSSIANS_RADIUS * Math.sin(angle) + EIGHT_GAUSSIANS_STD * rng.normal();
  }
  return out;
}
