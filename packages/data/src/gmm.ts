import { GaussianMixture } from '@charlearn/core';

/** Common component std of the raw `gmm` target. */
export const GMM_STD = 0.3;

/**
 * Means of the raw `gmm` target: a centre component and a pinwheel of 4,
 * `(2, 1)` rotated by 0°, 90°, 180°, 270°. The set is symmetric under a 90°
 * rotation, so the mixture has mean 0 and covariance `1.69·I` (std 1.3 per
 * coordinate): normalising it is an isotropic scaling and keeps it an
 * isotropic mixture with a closed-form denoiser.
 */
export const GMM_MEANS: readonly (readonly [number, number])[] = [
  [0, 0],
  [2, 1],
  [-1, 2],
  [-2, -1],
  [1, -2],
];

/** Weights of the raw `gmm` target: 0.36 for the centre, 0.16 for each arm. */
export const GMM_WEIGHTS: readonly number[] = [0.36, 0.16, 0.16, 0.16, 0.16];

/**
 * Exact per-coordinate mean and std of the raw `gmm` target:
 * mean `Σ w_k μ_k = 0`, variance `s² + Σ w_k μ_kj² − mean_j² = 0.09 + 1.6 = 1.69`.
 *
 * @example
 * ```ts
 * gmmMoments(); // { mean: [0, 0], std: [1.3, 1.3] } (to rounding)
 * ```
 */
export function gmmMoments(): { mean: [number, number]; std: [number, number] } {
  const total = GMM_WEIGHTS.reduce((a, b) => a + b, 0);
  const moment = (j: 0 | 1, power: 1 | 2): number => GMM_MEANS.reduce((acc, m, k) => acc + (GMM_WEIGHTS[k]! / total) * m[j] ** power, 0);
  const mean: [number, number] = [moment(0, 1), moment(1, 1)];
  const std: [number, number] = [
    Math.sqrt(GMM_STD * GMM_STD + moment(0, 2) - mean[0] ** 2),
    Math.sqrt(GMM_STD * GMM_STD + moment(1, 2) - mean[1] ** 2),
  ];
  return { mean, std };
}

/**
 * The raw `gmm` target as a {@link GaussianMixture} (`dim = 2`, 5 components, std 0.3).
 *
 * @example
 * ```ts
 * const raw = gmmRawMixture().sample(1000, new Rng(0)); // Float64Array(2000)
 * ```
 */
export function gmmRawMixture(): GaussianMixture {
  return new GaussianMixture({ means: GMM_MEANS.map((m) => [...m]), std: GMM_STD, weights: [...GMM_WEIGHTS] });
}

/**
 * The `gmm` target in normalised coordinates, still an exact isotropic
 * mixture: means `(μ_k − mean)/std`, component std `0.3/std` (std = 1.3, the
 * same for both coordinates). Its `denoise` / `exactFlow` are exact for the
 * normalised data that `getTarget('gmm').sample` draws.
 *
 * @example
 * ```ts
 * const exact = gmmNormalisedMixture(); // exact.std ≈ 0.2308
 * ```
 */
export function gmmNormalisedMixture(): GaussianMixture {
  const { mean, std } = gmmMoments();
  const s = std[0];
  return new GaussianMixture({
    means: GMM_MEANS.map((m) => [(m[0] - mean[0]) / s, (m[1] - mean[1]) / s]),
    std: GMM_STD / s,
    weights: [...GMM_WEIGHTS],
  });
}
