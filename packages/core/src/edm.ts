import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { perSample } from './broadcast';
import type { Denoiser } from './field';
import type { Interpolant } from './interpolants';
import { requireMember } from './registry';
import { assertNumber, assertTensor } from './validate';

/** EDM preconditioning coefficients, each `[batch]`. */
export interface EdmCoefficients {
  /** `c_in = 1/√(α²σ_d² + σ²)`: input scaling. */
  readonly cIn: Tensor1D;
  /** `c_out = σ·σ_d/√(α²σ_d² + σ²)`: output scaling. */
  readonly cOut: Tensor1D;
  /** `c_skip = α·σ_d²/(α²σ_d² + σ²)`: skip weight. */
  readonly cSkip: Tensor1D;
  /** `c_noise = 999·(1 − t)`: the time the raw network sees (public code's convention). */
  readonly cNoise: Tensor1D;
}

/**
 * EDM preconditioning for an affine path, `t: [batch]`, `sigmaData` the data
 * std (1 for normalised data).
 *
 * @example
 * ```ts
 * const { cIn, cOut, cSkip, cNoise } = edmCoefficients(t, follmer, 1);
 * ```
 */
export function edmCoefficients(t: Tensor1D, interpolant: Interpolant, sigmaData = 1): EdmCoefficients {
  assertTensor('t', t, [null]);
  requireMember(interpolant, 'coefficients', 'function', 'interpolant');
  // sigmaData² is computed in float32: keep it finite
  assertNumber('sigmaData', sigmaData, { greaterThan: 0, max: 1e18 });
  return tf.tidy(() => {
    const { alpha, sigma } = interpolant.coefficients(t);
    const sd2 = sigmaData * sigmaData;
    const total = tf.add(tf.mul(tf.square(alpha), sd2), tf.square(sigma));
    const root = tf.sqrt(total);
    return {
      cIn: tf.div(1, root) as Tensor1D,
      cOut: tf.div(tf.mul(sigma, sigmaData), root) as Tensor1D,
      cSkip: tf.div(tf.mul(alpha, sd2), total) as Tensor1D,
      cNoise: tf.mul(tf.sub(1, t), 999) as Tensor1D,
    };
  });
}

/**
 * A raw network `F(c_in·x, c_noise)`: `xIn: [batch, ...dims]`, `cNoise: [batch]`
 * → `[batch, ...dims]`.
 */
export type RawNetwork = (xIn: Tensor, cNoise: Tensor1D) => Tensor;

/**
 * Wraps a raw network in EDM preconditioning:
 * `D(x, t) = c_skip·x + c_out·F(c_in·x, c_noise(t))`.
 *
 * @example
 * ```ts
 * const denoiser = edmDenoiser((xIn, cNoise) => mlp.apply(xIn, cNoise), follmer);
 * ```
 */
export function edmDenoiser(raw: RawNetwork, interpolant: Interpolant, sigmaData = 1): Denoiser {
  assertNumber('sigmaData', sigmaData, { greaterThan: 0 });
  return (x, t) =>
    tf.tidy(() => {
      const c = edmCoefficients(t, interpolant, sigmaData);
      const f = raw(tf.mul(perSample(c.cIn, x), x), c.cNoise);
      return tf.add(tf.mul(perSample(c.cSkip, x), x), tf.mul(perSample(c.cOut, x), f));
    });
}
