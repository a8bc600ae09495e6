import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { perSample } from './broadcast';
import type { Interpolant } from './interpolants';

/**
 * Conversions between the four parameterisations of an affine path
 * `x_t = α x1 + σ z` (shapes: `x`, values `[batch, ...dims]`; `t: [batch]`):
 *
 * - denoiser `D(x, t) ≈ E[x1 | x_t = x]`
 * - velocity `v = α'·D + σ'·(x − α·D)/σ`
 * - score `s = (α·D − x)/σ²`
 * - noise prediction `ε = (x − α·D)/σ`
 *
 * Each `xFromDenoiser` has an inverse `denoiserFromX`. They are singular where
 * the formula divides by zero (σ = 0 at the data end for all three; α = 0 at
 * the noise end for the score and ε inverses): keep `t` inside `[ε0, 1 − ε1]`.
 * Each takes an optional last argument `tau: [batch]`, the same times'
 * distances to the data end (see {@link tausLike}), which keeps σ and 1/σ
 * float32-precise near t = 1.
 */
export type Parameterisation = 'denoiser' | 'velocity' | 'score' | 'eps';

function coeffs(interpolant: Interpolant, t: Tensor1D, x: Tensor, tau: Tensor1D | undefined) {
  const c = interpolant.coefficients(t, tau);
  return {
    alpha: perSample(c.alpha, x),
    sigma: perSample(c.sigma, x),
    dAlpha: perSample(c.dAlpha, x),
    dSigma: perSample(c.dSigma, x),
  };
}

/**
 * `v = α'·D + σ'·(x − α·D)/σ`.
 * @example
 * ```ts
 * const v = velocityFromDenoiser(x, denoised, t, follmer); // for follmer: (D − t·x)/(1 − t²)
 * ```
 */
export function velocityFromDenoiser(x: Tensor, denoised: Tensor, t: Tensor1D, interpolant: Interpolant, tau?: Tensor1D): Tensor {
  return tf.tidy(() => {
    const { alpha, sigma, dAlpha, dSigma } = coeffs(interpolant, t, x, tau);
    return tf.add(tf.mul(dAlpha, denoised), tf.div(tf.mul(dSigma, tf.sub(x, tf.mul(alpha, denoised))), sigma));
  });
}

/** Inverse of {@link velocityFromDenoiser}: `D = (σ·v − σ'·x)/(α'·σ − σ'·α)`. */
export function denoiserFromVelocity(x: Tensor, velocity: Tensor, t: Tensor1D, interpolant: Interpolant, tau?: Tensor1D): Tensor {
  return tf.tidy(() => {
    const { alpha, sigma, dAlpha, dSigma } = coeffs(interpolant, t, x, tau);
    return tf.div(tf.sub(tf.mul(sigma, velocity), tf.mul(dSigma, x)), tf.sub(tf.mul(dAlpha, sigma), tf.mul(dSigma, alpha)));
  });
}

/** `s = (α·D − x)/σ²`, the score `∇ log p_t(x)`. */
export function scoreFromDenoiser(x: Tensor, denoised: Tensor, t: Tensor1D, interpolant: Interpolant, tau?: Tensor1D): Tensor {
  return tf.tidy(() => {
    const { alpha, sigma } = coeffs(interpolant, t, x, tau);
    return tf.div(tf.sub(tf.mul(alpha, denoised), x), tf.square(sigma));
  });
}

/** Inverse of {@link scoreFromDenoiser}: `D = (x + σ²·s)/α` (singular at α = 0). */
export function denoiserFromScore(x: Tensor, score: Tensor, t: Tensor1D, interpolant: Interpolant, tau?: Tensor1D): Tensor {
  return tf.tidy(() => {
    const { alpha, sigma } = coeffs(interpolant, t, x, tau);
    return tf.div(tf.add(x, tf.mul(tf.square(sigma), score)), alpha);
  });
}

/** `ε = (x − α·D)/σ`, the noise prediction. */
export function epsFromDenoiser(x: Tensor, denoised: Tensor, t: Tensor1D, interpolant: Interpolant, tau?: Tensor1D): Tensor {
  return tf.tidy(() => {
    const { alpha, sigma } = coeffs(interpolant, t, x, tau);
    return tf.div(tf.sub(x, tf.mul(alpha, denoised)), sigma);
  });
}

/** Inverse of {@link epsFromDenoiser}: `D = (x − σ·ε)/α` (singular at α = 0). */
export function denoiserFromEps(x: Tensor, eps: Tensor, t: Tensor1D, interpolant: Interpolant, tau?: Tensor1D): Tensor {
  return tf.tidy(() => {
    const { alpha, sigma } = coeffs(interpolant, t, x, tau);
    return tf.div(tf.sub(x, tf.mul(sigma, eps)), alpha);
  });
}

/**
 * Converts `value`, given in parameterisation `from`, to parameterisation `to`.
 *
 * @example
 * ```ts
 * const score = convertParameterisation('velocity', 'score', x, v, t, follmer);
 * ```
 */
export function convertParameterisation(
  from: Parameterisation,
  to: Parameterisation,
  x: Tensor,
  value: Tensor,
  t: Tensor1D,
  interpolant: Interpolant,
  tau?: Tensor1D,
): Tensor {
  if (from === to) return tf.clone(value);
  return tf.tidy(() => {
    const denoised =
      from === 'denoiser'
        ? value
        : from === 'velocity'
          ? denoiserFromVelocity(x, value, t, interpolant, tau)
          : from === 'score'
            ? denoiserFromScore(x, value, t, interpolant, tau)
            : denoiserFromEps(x, value, t, interpolant, tau);
    if (to === 'denoiser') return tf.clone(denoised);
    if (to === 'velocity') return velocityFromDenoiser(x, denoised, t, interpolant, tau);
    if (to === 'score') return scoreFromDenoiser(x, denoised, t, interpolant, tau);
    return epsFromDenoiser(x, denoised, t, interpolant, tau);
  });
}
