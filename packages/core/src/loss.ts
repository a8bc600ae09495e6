import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { perSample } from './broadcast';
import { timeBatch, type TimeBatch } from './data-distance';
import { edmCoefficients } from './edm';
import { ValueRangeError } from './errors';
import type { Denoiser } from './field';
import type { Interpolant } from './interpolants';
import type { Rng } from './random';
import { assertNonEmptyBatch, assertNumber, assertTensor } from './validate';

/** Inputs of {@link denoiserMatchingLoss}. */
export interface DenoiserMatchingInput {
  /** The denoiser being trained. */
  denoiser: Denoiser;
  /** Data batch `[batch, ...dims]`. */
  x1: Tensor;
  /** Prior batch `[batch, ...dims]`, same shape as `x1`. */
  z: Tensor;
  /** Times `[batch]`, typically from {@link sampleTrainingTimeBatch}. */
  t: Tensor1D;
  /**
   * The same times' distances to the data end `1 − t`, `[batch]`, computed
   * before rounding (from {@link sampleTrainingTimeBatch}). Optional, but
   * without it σ, c_out and the weight near t = 1 are only as precise as a
   * float32 `t` (0.1% at τ = 1e-5).
   */
  tau?: Tensor1D;
  /** The path. */
  interpolant: Interpolant;
  /** Data std used by the EDM weight (default 1). */
  sigmaData?: number;
  /** `'edm'` (default): `w(t) = 1/c_out(t)²`; `'none'`: `w = 1`. */
  weighting?: 'edm' | 'none';
}

/**
 * Weighted denoiser matching:
 * `L = mean_b w(t_b) · mean_dims (D(α x1 + σ z, t) − x1)²`, with
 * `w(t) = 1/c_out(t)²` (EDM), which makes the loss the plain MSE of the raw
 * network's output when `D` is {@link edmDenoiser}.
 *
 * @example
 * ```ts
 * const t = sampleTrainingTimes(x1.shape[0], rng, { eps0: 1e-5, eps1: 1e-5 });
 * const loss = denoiserMatchingLoss({ denoiser, x1, z, t, interpolant: follmer });
 * ```
 */
export function denoiserMatchingLoss(input: DenoiserMatchingInput): Scalar {
  const { denoiser, x1, z, t, tau, interpolant, sigmaData = 1, weighting = 'edm' } = input;
  assertTensor('x1', x1, undefined, { minRank: 1 });
  assertNonEmptyBatch('x1', x1);
  assertTensor('z', z, x1.shape);
  assertTensor('t', t, [x1.shape[0]!]);
  if (tau !== undefined) assertTensor('tau', tau, [x1.shape[0]!], { dtype: 'float32' });
  assertNumber('sigmaData', sigmaData, { greaterThan: 0 });
  if (weighting !== 'edm' && weighting !== 'none') {
    throw new ValueRangeError(`weighting must be 'edm' or 'none', got '${String(weighting)}'`, 'weighting');
  }
  return tf.tidy(() => {
    const { alpha, sigma } = interpolant.coefficients(t, tau);
    const xt = tf.add(tf.mul(perSample(alpha, x1), x1), tf.mul(perSample(sigma, z), z));
    const err = tf.square(tf.sub(denoiser(xt, t, tau), x1));
    const axes = Array.from({ length: x1.rank - 1 }, (_, i) => i + 1);
    const perSampleErr = axes.length ? tf.mean(err, axes) : err;
    if (weighting === 'none') return tf.mean(perSampleErr) as Scalar;
    return tf.mean(tf.mul(perSampleErr, edmLossWeight(t, interpolant, sigmaData, tau))) as Scalar;
  });
}

/**
 * The EDM loss weight `w(t) = 1/c_out(t)² = (α²σ_d² + σ²)/(σ²σ_d²)`, `[batch]`,
 * for times `t: [batch]` (and, optionally, their distances to the data end
 * `tau: [batch]`, which keep it float32-precise near t = 1, where it grows like 1/τ).
 *
 * @example
 * ```ts
 * const near = timeBatch([0.5, 1 - 1e-5]);
 * const w = edmLossWeight(near.t, follmer, 1, near.tau); // [2]: ≈ [1.33, 5.0e4]
 * ```
 */
export function edmLossWeight(t: Tensor1D, interpolant: Interpolant, sigmaData = 1, tau?: Tensor1D): Tensor1D {
  return tf.tidy(() => {
    const { cOut } = edmCoefficients(t, interpolant, sigmaData, tau);
    return tf.div(1, tf.square(cOut)) as Tensor1D;
  });
}

/**
 * Training times `t ~ U[eps0, 1 − eps1]`, shape `[batch]` (early stopping
 * keeps t away from the singular data end).
 *
 * @example
 * ```ts
 * const t = sampleTrainingTimes(256, rng, { eps0: 1e-5, eps1: 1e-5 });
 * ```
 */
export function sampleTrainingTimes(batch: number, rng: Rng, options: { eps0?: number; eps1?: number } = {}): Tensor1D {
  return tf.tensor1d(drawTrainingTimes(batch, rng, options));
}

/**
 * {@link sampleTrainingTimes} with the distances to the data end: the same
 * draws (the same `t` for the same `rng` state), and `tau = 1 − t` computed in
 * float64 before rounding, so that near `1 − eps1` the loss sees τ to float32
 * relative precision. `t`, `tau`: `[batch]`.
 *
 * @example
 * ```ts
 * const { t, tau } = sampleTrainingTimeBatch(x1.shape[0], rng, { eps0: 1e-5, eps1: 1e-5 });
 * const loss = denoiserMatchingLoss({ denoiser, x1, z, t, tau, interpolant: follmer });
 * ```
 */
export function sampleTrainingTimeBatch(batch: number, rng: Rng, options: { eps0?: number; eps1?: number } = {}): TimeBatch {
  return timeBatch(drawTrainingTimes(batch, rng, options));
}

/** The uniform draws (float32, so `1 − t` is exact in float32 too: Sterbenz). */
function drawTrainingTimes(batch: number, rng: Rng, options: { eps0?: number; eps1?: number }): Float32Array {
  const { eps0 = 1e-5, eps1 = 1e-5 } = options;
  assertNumber('batch', batch, { integer: true, min: 1 });
  assertNumber('eps0', eps0, { min: 0, lessThan: 1 });
  assertNumber('eps1', eps1, { min: 0, lessThan: 1 - eps0 });
  return rng.uniformArray(batch, eps0, 1 - eps1);
}
