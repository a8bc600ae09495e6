import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { markUniform } from './uniform-batch';

/**
 * Reshapes per-sample coefficients `c: [batch]` to `[batch, 1, ..., 1]` so that
 * they broadcast against `x: [batch, ...dims]`.
 *
 * @example
 * ```ts
 * const y = tf.mul(perSample(alpha, x), x); // alpha: [b], x: [b, 28, 28, 1]
 * ```
 */
export function perSample(c: Tensor1D | Tensor, x: Tensor): Tensor {
  return tf.reshape(c, [c.shape[0] ?? 1, ...new Array<number>(Math.max(x.rank - 1, 0)).fill(1)]);
}

/**
 * A `[batch]` tensor filled with the time `t`, matching `x: [batch, ...dims]`, marked as one time for the whole
 * batch (`isUniformBatch`), so that the built-in networks compute their time features once and broadcast them.
 *
 * @example
 * ```ts
 * const v = model.velocity(x, timesLike(x, 0.5), tausLike(x, 0.5)); // t: [batch], every entry 0.5
 * ```
 */
export function timesLike(x: Tensor, t: number): Tensor1D {
  return markUniform(tf.fill([x.shape[0] ?? 1], t) as Tensor1D);
}
