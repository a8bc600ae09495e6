import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { edmCoefficients, edmDenoiser, edmNoiseLevel, perSample, type Denoiser, type Interpolant } from '@charlearn/core';
import type { Network } from '@charlearn/nets';

/**
 * The EDM-preconditioned denoiser of a one-time network:
 * `D(x, t) = c_skip(t)·x + c_out(t)·F(c_in(t)·x, c_noise(t))`.
 * `x: [batch, ...dims]`, `t: [batch]`.
 *
 * @example
 * ```ts
 * const D = networkDenoiser(teacherNet, follmer);
 * const model = fieldModelFromDenoiser(D, follmer); // for solvers
 * ```
 */
export function networkDenoiser(net: Network, interpolant: Interpolant, sigmaData = 1): Denoiser {
  return edmDenoiser((xIn, cNoise) => net.apply(xIn, cNoise), interpolant, sigmaData);
}

/**
 * A two-time denoiser `D_θ(x, t, s)`: `x: [batch, ...dims]`, `t, s: [batch]`;
 * `tauT, tauS: [batch]` (optional) the distances `1 − t`, `1 − s` computed
 * before rounding, which keep the coefficients precise near the data end
 * (see `tausLike` in `@charlearn/core`).
 */
export type TwoTimeDenoiser = (x: Tensor, t: Tensor1D, s: Tensor1D, tauT?: Tensor1D, tauS?: Tensor1D) => Tensor;

/**
 * The EDM-preconditioned denoiser of a two-time network, preconditioned on
 * `t`, with the second time `s` fed as the network's second embedding
 * (`c_noise(s) = 999·(1 − s)`):
 * `D_θ(x, t, s) = c_skip(t)·x + c_out(t)·F(c_in(t)·x, c_noise(t), c_noise(s))`.
 * Times that are one value for the batch (`timesLike` / `tausLike`, as `sampleFlowMap` passes them) reach the
 * network as uniform `c_noise` tensors (`isUniformBatch`), and a built-in network computes its time features once.
 *
 * @example
 * ```ts
 * const D2 = twoTimeDenoiser(student, follmer);
 * ```
 */
export function twoTimeDenoiser(net: Network, interpolant: Interpolant, sigmaData = 1): TwoTimeDenoiser {
  return (x, t, s, tauT, tauS) =>
    tf.tidy(() => {
      const c = edmCoefficients(t, interpolant, sigmaData, tauT);
      const cNoiseS = edmNoiseLevel(s, tauS);
      const f = net.apply(tf.mul(perSample(c.cIn, x), x), c.cNoise, cNoiseS);
      return tf.add(tf.mul(perSample(c.cSkip, x), x), tf.mul(perSample(c.cOut, x), f));
    });
}

/**
 * A flow map `g(x, t, s)` that moves `x: [batch, ...dims]` at times `t: [batch]`
 * along its characteristic to times `s: [batch]`; `tauT, tauS: [batch]`
 * (optional) as for {@link TwoTimeDenoiser}.
 */
export type FlowMap = (x: Tensor, t: Tensor1D, s: Tensor1D, tauT?: Tensor1D, tauS?: Tensor1D) => Tensor;

/**
 * The characteristic generator in exponential-integrator form,
 * `g(t, s, x) = (σ_s/σ_t)·x + (α_s − α_t·σ_s/σ_t)·D_θ(x, t, s)`, so that
 * `g(t, t, x) = x` exactly, and `g(t, 1, x) = D_θ(x, t, 1)` (one network
 * evaluation to the data end). At `t = 1` (σ_t = 0) the only valid end is
 * `s = 1`, where `g(1, 1, x) = x`.
 *
 * @example
 * ```ts
 * const g = characteristicMap(student, follmer);
 * const x1 = g(z, timesLike(z, 1e-3), timesLike(z, 1)); // one-step samples (one time for the batch: time MLP once)
 * ```
 */
export function characteristicMap(net: Network, interpolant: Interpolant, sigmaData = 1): FlowMap {
  const denoise = twoTimeDenoiser(net, interpolant, sigmaData);
  return (x, t, s, tauT, tauS) =>
    tf.tidy(() => {
      const ct = interpolant.coefficients(t, tauT);
      const cs = interpolant.coefficients(s, tauS);
      // σ_s/σ_t, and 1 where σ_t = 0 (t = s = 1), so that g(1, 1, x) = x instead of 0/0.
      const positive = tf.greater(ct.sigma, 0);
      const ratio = tf.where(positive, tf.div(cs.sigma, tf.where(positive, ct.sigma, tf.onesLike(ct.sigma))), tf.onesLike(ct.sigma));
      const gain = tf.sub(cs.alpha, tf.mul(ct.alpha, ratio));
      return tf.add(tf.mul(perSample(ratio, x), x), tf.mul(perSample(gain, x), denoise(x, t, s, tauT, tauS)));
    });
}
