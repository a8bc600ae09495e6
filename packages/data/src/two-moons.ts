import type { Rng } from '@charlearn/core';

/** Noise std of the two moons (scikit-learn's `noise` argument), in raw units. */
export const TWO_MOONS_NOISE = 0.05;

/**
 * Raw two-moons points, `n × 2` row-major float64, by scikit-learn's
 * `make_moons` formula with noise 0.05: outer moon `(cos θ, sin θ)`, inner moon
 * `(1 − cos θ, 1 − sin θ − 0.5)`, plus `0.05·N(0, I)`.
 *
 * Differences from scikit-learn, so that every point is an i.i.d. draw:
 * θ is sampled uniformly on `[0, π]` (sklearn uses `linspace`), and the moon is
 * a fair coin per point (sklearn puts exactly ⌊n/2⌋ on the outer moon).
 * Draws per point: the coin, θ, then two normals.
 *
 * @example
 * ```ts
 * const raw = twoMoonsRaw(1000, new Rng(0)); // Float64Array(2000)
 * ```
 */
export function twoMoonsRaw(n: number, rng: Rng): Float64Array {
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const outer = rng.uniform() < 0.5;
    const theta = Math.PI * rng.uniform();
    const x = outer ? Math.cos(theta) : 1 - Math.cos(theta);
    const y = outer ? Math.sin(theta) : 1 - Math.sin(theta) - 0.5;
    out[2 * i] = x + TWO_MOONS_NOISE * rng.normal();
    out[2 * i + 1] = y + TWO_MOONS_NOISE * rng.normal();
  }
  return out;
}
