import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { markUniform } from './uniform-batch';
import { assertNumber, assertTensor } from './validate';

/**
 * The distance to the data end, `τ = 1 − t` (the reference code's own time).
 *
 * Why it travels on its own: a float32 time `t` near the data end is rounded
 * to a multiple of 2⁻²⁴ ≈ 6e-8, so the `τ` it implies is off by up to 0.7% at
 * τ = 1e-5 (the teacher's training edge), and σ, c_noise, c_out and the EDM
 * weight with it. A float32 `τ` keeps float32 *relative* precision all the
 * way to 0. Times are therefore computed on the host in float64 and handed to
 * tensor code as two tensors: `t` (precise near the noise end) and `τ`
 * (precise near the data end). Every function that takes a time batch
 * `t: [batch]` takes an optional `tau: [batch]` of the same times; without it,
 * `τ = 1 − t` is computed from the float32 `t` (backwards compatible, and only
 * as precise as `t`).
 *
 * @example
 * ```ts
 * const times = timesLike(x, 1 - 1e-6); // [batch] of fround(1 − 1e-6): the τ it implies is 4.6% off
 * const taus = tausLike(x, 1 - 1e-6);   // [batch] of fround(1e-6): τ to 3e-8 relative
 * const D = model.denoise(x, times, taus);
 * ```
 *
 * Like `timesLike`, the result is marked as one value for the whole batch (`isUniformBatch`).
 */
export function tausLike(x: Tensor, t: number): Tensor1D {
  assertNumber('t', t, { min: 0, max: 1 });
  return markUniform(tf.fill([x.shape[0] ?? 1], 1 - t) as Tensor1D);
}

/** Times `t: [batch]` with their distances to the data end `tau: [batch]` (both float32). */
export interface TimeBatch {
  /** `t`, precise near the noise end; `[batch]`. */
  readonly t: Tensor1D;
  /** `τ = 1 − t` computed in float64 before rounding, precise near the data end; `[batch]`. */
  readonly tau: Tensor1D;
}

/**
 * A {@link TimeBatch} from host times (float64): `t: [n]` and `τ = 1 − t: [n]`,
 * each rounded to float32 once.
 *
 * @example
 * ```ts
 * const { t, tau } = timeBatch([0.5, 0.999, 1 - 1e-7]); // each [3]
 * ```
 */
export function timeBatch(times: ArrayLike<number>): TimeBatch {
  const n = times.length;
  const t = new Float32Array(n);
  const tau = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const ti = times[i]!;
    assertNumber(`times[${i}]`, ti, { min: 0, max: 1 });
    t[i] = ti;
    tau[i] = 1 - ti;
  }
  return { t: tf.tensor1d(t), tau: tf.tensor1d(tau) };
}

/**
 * `τ: [batch]` for the times `t: [batch]`: `tau` itself when given (checked to
 * be `[batch]`), else `1 − t` from the float32 `t`. For interpolant and
 * preconditioning code; the result is a new tensor (or `tau`): call inside
 * `tf.tidy`.
 *
 * @example
 * ```ts
 * const d = distanceToData(t);                    // [batch]: 1 − t (pass τ when you have it)
 * const sigma = tf.sqrt(tf.mul(d, tf.sub(2, d))); // Föllmer σ = √(τ(2 − τ))
 * ```
 */
export function distanceToData(t: Tensor1D, tau?: Tensor1D): Tensor1D {
  if (tau === undefined) return tf.sub(1, t) as Tensor1D;
  assertTensor('tau', tau, t.shape, { dtype: 'float32' });
  return tau;
}
