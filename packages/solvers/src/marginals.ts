import { getInterpolant, type GaussianMixture, type Interpolant } from '@charlearn/core';

/**
 * The exact marginal `p_t` of a Gaussian mixture `Σ_k w_k N(μ_k, s² I)` on an affine path
 * `x_t = α_t x1 + σ_t z`: again a mixture, `Σ_k w_k N(α_t μ_k, (α_t² s² + σ_t²) I)`.
 */
export interface MixtureMarginal {
  /** Component means `α_t μ_k`, `[K][dim]`. */
  readonly means: readonly (readonly number[])[];
  /** Common component variance `α_t² s² + σ_t²`. */
  readonly variance: number;
  /** Component weights `w_k`. */
  readonly weights: readonly number[];
  /** The marginal's mean, `[dim]`. */
  readonly mean: readonly number[];
  /** The marginal's covariance, `[dim][dim]`. */
  readonly covariance: readonly (readonly number[])[];
}

/**
 * The exact marginal of `mixture` at time `t` on `interpolant` ({@link MixtureMarginal}).
 *
 * @example
 * ```ts
 * const p = mixtureMarginal(new GaussianMixture({ means: [[-1, 0], [1, 0]], std: 0.3 }), 'follmer', 0.9);
 * p.covariance; // [[α²(s² + 1) + σ², 0], [0, α² s² + σ²]] at α = 0.9
 * ```
 */
export function mixtureMarginal(mixture: GaussianMixture, interpolant: string | Interpolant, t: number): MixtureMarginal {
  const { alpha, sigma } = getInterpolant(interpolant).at(t);
  const dim = mixture.dim;
  const means = mixture.means.map((m) => m.map((v) => alpha * v));
  const variance = alpha * alpha * mixture.std * mixture.std + sigma * sigma;
  const w = mixture.weights;
  const mean = Array.from({ length: dim }, (_, j) => means.reduce((a, m, k) => a + w[k]! * m[j]!, 0));
  const covariance = Array.from({ length: dim }, (_, i) =>
    Array.from({ length: dim }, (_, j) => means.reduce((a, m, k) => a + w[k]! * (m[i]! - mean[i]!) * (m[j]! - mean[j]!), 0) + (i === j ? variance : 0)),
  );
  return { means, variance, weights: [...w], mean, covariance };
}

/** An estimate with its Monte-Carlo standard error. */
export interface Estimate {
  readonly value: number;
  readonly standardError: number;
}

function meanAndSe(values: Float64Array): Estimate {
  const n = values.length;
  let m = 0;
  for (const v of values) m += v;
  m /= n;
  let q = 0;
  for (const v of values) q += (v - m) ** 2;
  return { value: m, standardError: Math.sqrt(q / (n - 1) / n) };
}

/** Sample statistics of `n·dim` points (row-major) that a marginal check compares with a {@link MixtureMarginal}. */
export interface MarginalEstimates {
  /** Sample mean, `[dim]`, each with its standard error. */
  readonly mean: readonly Estimate[];
  /** Sample covariance about the exact mean, `[dim][dim]` (upper triangle filled both ways). */
  readonly covariance: readonly (readonly Estimate[])[];
  /** Mixture weights estimated as the mean posterior responsibility `E[r_k(x)]` under the exact marginal (= w_k exactly). */
  readonly weights: readonly Estimate[];
}

/**
 * Means, covariances (about the exact mean) and mixture weights of samples, each with its Monte-Carlo
 * standard error, for a comparison with the exact marginal `p`.
 *
 * @example
 * ```ts
 * const est = marginalEstimates(samples, 2, mixtureMarginal(gmm, 'follmer', 0.9));
 * est.weights[0]!.value; // ≈ w_0 within a few standard errors
 * ```
 */
export function marginalEstimates(points: ArrayLike<number>, dim: number, p: MixtureMarginal): MarginalEstimates {
  const n = Math.floor(points.length / dim);
  const col = (f: (i: number) => number): Float64Array => Float64Array.from({ length: n }, (_, i) => f(i));
  const mean = Array.from({ length: dim }, (_, j) => meanAndSe(col((i) => points[i * dim + j]!)));
  const covariance = Array.from({ length: dim }, (_, a) =>
    Array.from({ length: dim }, (_, b) => meanAndSe(col((i) => (points[i * dim + a]! - p.mean[a]!) * (points[i * dim + b]! - p.mean[b]!)))),
  );
  const K = p.means.length;
  const resp = Array.from({ length: K }, () => new Float64Array(n));
  const logits = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      let d2 = 0;
      for (let j = 0; j < dim; j++) d2 += (points[i * dim + j]! - p.means[k]![j]!) ** 2;
      logits[k] = Math.log(p.weights[k]!) - d2 / (2 * p.variance);
      max = Math.max(max, logits[k]!);
    }
    let z = 0;
    for (let k = 0; k < K; k++) z += (logits[k] = Math.exp(logits[k]! - max));
    for (let k = 0; k < K; k++) resp[k]![i] = logits[k]! / z;
  }
  return { mean, covariance, weights: resp.map(meanAndSe) };
}

/** One compared statistic: its name, the estimate, the exact value and the deviation in standard errors. */
export interface MarginalDeviation {
  readonly statistic: string;
  readonly estimate: number;
  readonly exact: number;
  readonly standardError: number;
  /** |estimate − exact| / standard error. */
  readonly z: number;
}

/**
 * Every statistic of {@link marginalEstimates} against the exact marginal: means, covariance entries and
 * mixture weights, each with its deviation in standard errors (`z`).
 *
 * @example
 * ```ts
 * const worst = Math.max(...marginalDeviations(samples, 2, mixtureMarginal(gmm, 'follmer', 0.9)).map((d) => d.z)); // < 4 for a correct sampler
 * ```
 */
export function marginalDeviations(points: ArrayLike<number>, dim: number, p: MixtureMarginal): MarginalDeviation[] {
  const est = marginalEstimates(points, dim, p);
  const out: MarginalDeviation[] = [];
  const add = (statistic: string, e: Estimate, exact: number): void => {
    out.push({ statistic, estimate: e.value, exact, standardError: e.standardError, z: Math.abs(e.value - exact) / e.standardError });
  };
  est.mean.forEach((e, j) => add(`mean[${j}]`, e, p.mean[j]!));
  for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) add(`cov[${a}][${b}]`, est.covariance[a]![b]!, p.covariance[a]![b]!);
  est.weights.forEach((e, k) => add(`weight[${k}]`, e, p.weights[k]!));
  return out;
}

/**
 * The weak error of samples on the first two moments: the largest absolute error of the mean and of the
 * covariance entries against the exact marginal, and the Monte-Carlo standard error of the worst one's estimate
 * (the noise floor under which a weak-order fit cannot see).
 *
 * @example
 * ```ts
 * const { error, standardError } = momentError(samples, 2, mixtureMarginal(gmm, 'follmer', 0.9));
 * ```
 */
export function momentError(points: ArrayLike<number>, dim: number, p: MixtureMarginal): { error: number; standardError: number } {
  const d = marginalDeviations(points, dim, p).filter((s) => !s.statistic.startsWith('weight'));
  const errors = d.map((s) => Math.abs(s.estimate - s.exact));
  return { error: Math.max(...errors), standardError: Math.max(...d.map((s) => s.standardError)) };
}
