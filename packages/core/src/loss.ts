import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { perSample } from './broadcast';
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
  /** Times `[batch]`, typically from {@link sampleTrainingTimes}. */
  t: Tensor1D;
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
  const { denoiser, x1, z, t, interpolant, sigmaData = 1, weighting = 'edm' } = input;
  assertTensor('x1', x1, undefined, { minRank: 1 });
  assertNonEmptyBatch('x1', x1);
  assertTensor('z', z, x1.shape);
  assertTensor('t', t, [x1.shape[0]!]);
  assertNumber('sigmaData', sigmaData, { greaterThan: 0 });
  if (weighting !== 'edm' && weighting !== 'none') {
    throw new ValueRangeError(`weighting must be 'edm' or 'none', got '${String(weighting)}'`, 'weighting');
  }
  return tf.tidy(() => {
    const { alpha, sigma } = interpolant.coefficients(t);
    const xt = tf.add(tf.mul(perSample(alpha, x1), x1), tf.mul(perSample(sigma, z), z));
    const err = tf.square(tf.sub(denoiser(xt, t), x1));
    const axes = Array.from({ length: x1.rank - 1 }, (_, i) => i + 1);
    const perSampleErr = axes.length ? tf.mean(err, axes) : err;
    if (weighting === 'none') return tf.mean(perSampleErr) as Scalar;
    const { cOut } = edmCoefficients(t, interpolant, sigmaData);
    return tf.mean(tf.div(perSampleErr, tf.square(cOut))) as Scalar;
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
  const { eps0 = 1e-5, eps1 = 1e-5 } = options;
  assertNumber('batch', batch, { integer: true, min: 1 });
  assertNumber('eps0', eps0, { min: 0, lessThan: 1 });
  assertNumber('eps1', eps1, { min: 0, lessThan: 1 - eps0 });
  return tf.tensor1d(rng.uniformArray(batch, eps0, 1 - eps1));
}
