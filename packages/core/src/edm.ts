import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { perSample } from './broadcast';
import { distanceToData } from './data-distance';
import type { Denoiser } from './field';
import type { Interpolant } from './interpolants';
import { requireMember } from './registry';
import { isUniformBatch, markUniform } from './uniform-batch';
import { assertNumber, assertTensor } from './validate';

/** EDM preconditioning coefficients, each `[batch]`. */
export interface EdmCoefficients {
  /** `c_in = 1/√(α²σ_d² + σ²)`: input scaling. */
  readonly cIn: Tensor1D;
  /** `c_out = σ·σ_d/√(α²σ_d² + σ²)`: output scaling. */
  readonly cOut: Tensor1D;
  /** `c_skip = α·σ_d²/(α²σ_d² + σ²)`: skip weight. */
  readonly cSkip: Tensor1D;
  /** `c_noise = 999·τ`, `τ = 1 − t`: the time the raw network sees (public code's convention); see {@link edmNoiseLevel}. */
  readonly cNoise: Tensor1D;
}

/**
 * `c_noise = 999·τ` (`τ = 1 − t`, or `tau` when given, see {@link tausLike}), the time input of the raw network:
 * `t`, `tau`: `[batch]` → `[batch]`. When the times it is computed from are one value for the whole batch
 * (`isUniformBatch(tau ?? t)`, e.g. `timesLike` / `tausLike`), so is the result, and it is marked so: the built-in
 * networks then compute their time features once and broadcast them. Call inside `tf.tidy`.
 *
 * @example
 * ```ts
 * const cNoiseS = edmNoiseLevel(timesLike(x, 1), tausLike(x, 1)); // [batch] of 0, uniform
 * ```
 */
export function edmNoiseLevel(t: Tensor1D, tau?: Tensor1D): Tensor1D {
  const cNoise = tf.mul(distanceToData(t, tau), 999) as Tensor1D;
  return isUniformBatch(tau ?? t) ? markUniform(cNoise) : cNoise;
}

/**
 * EDM preconditioning for an affine path, `t: [batch]`, `sigmaData` the data
 * std (1 for normalised data). `tau: [batch]` (optional), the distance to the
 * data end of the same times (see {@link tausLike}): c_noise, c_out and the
 * path's σ are then computed from it, to float32 relative precision however
 * close to t = 1. When the times are one value for the batch (`isUniformBatch(tau ?? t)`, e.g. a solver's
 * `timesLike` / `tausLike`), the four coefficients are marked uniform too ({@link edmNoiseLevel}).
 *
 * @example
 * ```ts
 * const { cIn, cOut, cSkip, cNoise } = edmCoefficients(t, follmer, 1);
 * const near = timeBatch([1 - 1e-6]);
 * const precise = edmCoefficients(near.t, follmer, 1, near.tau); // c_noise = 999e-6 to 1 ulp
 * ```
 */
export function edmCoefficients(t: Tensor1D, interpolant: Interpolant, sigmaData = 1, tau?: Tensor1D): EdmCoefficients {
  assertTensor('t', t, [null]);
  requireMember(interpolant, 'coefficients', 'function', 'interpolant');
  // sigmaData² is computed in float32: keep it finite
  assertNumber('sigmaData', sigmaData, { greaterThan: 0, max: 1e18 });
  const uniform = isUniformBatch(t) && (tau === undefined || isUniformBatch(tau));
  const coefficients = tf.tidy(() => {
    const { alpha, sigma } = interpolant.coefficients(t, tau);
    const sd2 = sigmaData * sigmaData;
    const total = tf.add(tf.mul(tf.square(alpha), sd2), tf.square(sigma));
    const root = tf.sqrt(total);
    return {
      cIn: tf.div(1, root) as Tensor1D,
      cOut: tf.div(tf.mul(sigma, sigmaData), root) as Tensor1D,
      cSkip: tf.div(tf.mul(alpha, sd2), total) as Tensor1D,
      cNoise: edmNoiseLevel(t, tau),
    };
  });
  if (uniform) Object.values(coefficients).forEach((c) => markUniform(c));
  return coefficients;
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
  return (x, t, tau) =>
    tf.tidy(() => {
      const c = edmCoefficients(t, interpolant, sigmaData, tau);
      const f = raw(tf.mul(perSample(c.cIn, x), x), c.cNoise);
      return tf.add(tf.mul(perSample(c.cSkip, x), x), tf.mul(perSample(c.cOut, x), f));
    });
}
