import { ShapeError, TypeMismatchError, typeLabel } from '@charlearn/core';
import { meanAndCovariance, matMulSquare, symmetricEigen, symmetricSqrt, trace, type GaussianStats } from './linalg';
import { toPoints, type PointSet } from './points';

export type { GaussianStats } from './linalg';

/** Largest feature width {@link frechetDistance} accepts (the eigen-solver is O(d³) float64 JS). */
export const MAX_FD_DIM = 1024;

/**
 * Gaussian statistics (mean `[d]`, unbiased covariance `[d, d]`) of a feature
 * set `[n, d]` for {@link frechetDistanceFromStats}: compute a reference
 * set's statistics once and compare many generated sets against them.
 * `feats` is a `Tensor2D [n, d]`, `number[][]`, or a flat `Float32Array`/
 * `Float64Array` with `options.dim` (required for flat arrays here).
 *
 * @example
 * ```ts
 * const ref = featureStats(featsA);                        // once: reference features [n, 128]
 * const fd = frechetDistanceFromStats(featureStats(featsB), ref);
 * ```
 */
export function featureStats(feats: PointSet, options: { dim?: number; parameter?: string } = {}): GaussianStats {
  const parameter = options.parameter ?? 'feats';
  if ((feats instanceof Float32Array || feats instanceof Float64Array) && options.dim === undefined) {
    throw new ShapeError(`${parameter}: a flat array needs options.dim (the feature width d of [n, d])`, 'options.dim');
  }
  const p = toPoints(parameter, feats, options.dim);
  if (p.n < 2) throw new ShapeError(`${parameter} must hold at least 2 feature rows [n >= 2, d] for a covariance, got n = ${p.n}`, parameter);
  if (p.dim > MAX_FD_DIM) throw new ShapeError(`${parameter} must have at most ${MAX_FD_DIM} features per row, got d = ${p.dim}`, parameter);
  return meanAndCovariance(p.data, p.n, p.dim);
}

/**
 * Fréchet distance between two Gaussians `N(μ1, Σ1)` and `N(μ2, Σ2)`:
 * `‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2 (Σ1^{1/2} Σ2 Σ1^{1/2})^{1/2})`, the squared
 * 2-Wasserstein distance between them.
 *
 * Numerics (float64): `Σ1^{1/2}` is the symmetric PSD square root
 * `V diag(√λ) Vᵀ` from a symmetric eigendecomposition, `M = Σ1^{1/2} Σ2 Σ1^{1/2}`
 * is symmetrised and `tr M^{1/2} = Σ √λ_i(M)`. Eigenvalues that rounding pushes
 * slightly below zero (singular covariances: fewer rows than features, dead
 * units) are clipped to 0, and a result within rounding of zero is clipped
 * to 0, so the value is never negative. Unlike the usual `scipy.linalg.sqrtm`
 * of the non-symmetric `Σ1 Σ2` this has no complex parts and needs no `eps·I`
 * offset. O(d³): ~0.1 s at d = 128.
 *
 * @example
 * ```ts
 * frechetDistanceFromStats(featureStats(featsA), featureStats(featsB));
 * ```
 */
export function frechetDistanceFromStats(a: GaussianStats, b: GaussianStats): number {
  assertStats('a', a);
  assertStats('b', b);
  if (a.d !== b.d) throw new ShapeError(`b must have the same feature width as a (d = ${a.d}), got d = ${b.d}`, 'b');
  const d = a.d;
  let meanTerm = 0;
  for (let k = 0; k < d; k++) meanTerm += (a.mean[k]! - b.mean[k]!) ** 2;
  const rootA = symmetricSqrt(a.cov, d);
  const m = matMulSquare(matMulSquare(rootA, b.cov, d), rootA, d);
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const s = 0.5 * (m[i * d + j]! + m[j * d + i]!);
      m[i * d + j] = s;
      m[j * d + i] = s;
    }
  }
  const { values } = symmetricEigen(m, d);
  let traceRoot = 0;
  for (const l of values) traceRoot += Math.sqrt(Math.max(l, 0));
  const covTerm = trace(a.cov, d) + trace(b.cov, d) - 2 * traceRoot;
  return Math.max(meanTerm + covTerm, 0);
}

/**
 * Fréchet distance between Gaussians fitted to two feature sets `[n, d]` and
 * `[m, d]` (mean and unbiased covariance of each; see
 * {@link frechetDistanceFromStats} for the formula and numerics). With the
 * penultimate-layer features of a classifier this is the "FD(net)" family of
 * image metrics (FID with Inception-v3). Inputs as {@link featureStats}.
 * The estimate is biased upwards for finite n (it is not 0 for two samples
 * of one law): compare values computed with equal n.
 *
 * @example
 * ```ts
 * const fd = frechetDistance(featsA, featsB);            // Tensor2D [n, 128] each
 * const fd2 = frechetDistance(flatA, flatB, { dim: 128 }); // flat Float32Arrays
 * ```
 */
export function frechetDistance(a: PointSet, b: PointSet, options: { dim?: number } = {}): number {
  return frechetDistanceFromStats(featureStats(a, { ...options, parameter: 'a' }), featureStats(b, { ...options, parameter: 'b' }));
}

function assertStats(parameter: string, s: unknown): asserts s is GaussianStats {
  const st = s as Partial<GaussianStats> | null;
  if (typeof st !== 'object' || st === null || !(st.mean instanceof Float64Array) || !(st.cov instanceof Float64Array) || typeof st.d !== 'number') {
    throw new TypeMismatchError(`${parameter} must be GaussianStats { n, d, mean: Float64Array [d], cov: Float64Array [d, d] } (see featureStats), got ${typeLabel(s)}`, parameter);
  }
  if (st.mean.length !== st.d || st.cov.length !== st.d * st.d) {
    throw new ShapeError(`${parameter}.mean must be [d] and ${parameter}.cov [d, d] with d = ${st.d}, got ${st.mean.length} and ${st.cov.length} values`, parameter);
  }
}
