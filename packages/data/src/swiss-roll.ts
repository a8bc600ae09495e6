import type { Rng } from '@charlearn/core';

/** Noise std of the swiss roll, in raw units. */
export const SWISS_ROLL_NOISE = 0.1;

/**
 * Raw (unnormalised) swiss-roll points, `n × 2` row-major float64:
 * `u ~ U(0, 1)`, `t = 1.5π(1 + 2u)`, point `(t cos t, t sin t) + 0.1·N(0, I)`.
 * So the noise-free point lies at radius `t` and polar angle `t` (mod 2π),
 * `t ∈ [1.5π, 4.5π]`. Draws per point: `u`, then two normals.
 *
 * @example
 * ```ts
 * const raw = swissRollRaw(1000, new Rng(0)); // Float64Array(2000)
 * ```
 */
export function swissRollRaw(n: number, rng: Rng): Float64Array {
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
    out[2 * i] = t * Math.cos(t) + SWISS_ROLL_NOISE * rng.normal();
    out[2 * i + 1] = t * Math.sin(t) + SWISS_ROLL_NOISE * rng.normal();
  }
  return out;
}
