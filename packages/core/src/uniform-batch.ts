import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { assertNumber } from './validate';

/**
 * The `[batch]` tensors known to hold one value in every entry, because they were built that way
 * ({@link uniformBatch}, `timesLike`, `tausLike`) or computed entry-wise from such tensors (`edmNoiseLevel`).
 * A tensor object is never mutated, so the mark stays true for its life; a mark is only lost (a reshape, a
 * clone, a tensor built by hand), never wrong. Nothing here reads a tensor back from the device.
 */
const UNIFORM = new WeakSet<Tensor>();

/**
 * Marks `t`, a `[batch]` tensor whose entries are equal by construction, as uniform; returns `t`. Internal to
 * `@charlearn/core` (not exported from the package), so a mark can only come from a construction that makes it true.
 */
export function markUniform<T extends Tensor>(t: T): T {
  UNIFORM.add(t);
  return t;
}

/**
 * A `[batch]` float32 tensor with every entry `value`, marked as uniform: a network that sees it as a time
 * input (`c_noise`) computes its time features on one row and broadcasts them over the batch instead of
 * repeating them per row (see {@link isUniformBatch}). Numerically it is `tf.fill([batch], value)`.
 *
 * @example
 * ```ts
 * const cNoise = uniformBatch(2000, 0);  // [2000], one time for the whole batch
 * isUniformBatch(cNoise);                // true
 * isUniformBatch(tf.fill([2000], 0));    // false: same values, but nothing says so without reading it back
 * ```
 */
export function uniformBatch(batch: number, value: number): Tensor1D {
  assertNumber('batch', batch, { integer: true, min: 1 });
  assertNumber('value', value);
  return markUniform(tf.fill([batch], value) as Tensor1D);
}

/**
 * Whether `t` (a `[batch]` tensor) is known to hold one value in every entry: built by {@link uniformBatch},
 * `timesLike`, `tausLike`, or derived entry-wise from such tensors by core's preconditioning (`edmNoiseLevel`,
 * `edmCoefficients`). A cheap host-side check (no device read-back). `false` means "not known", not "not uniform":
 * code that takes the shortcut must give the same numbers either way, to float32 rounding.
 *
 * @example
 * ```ts
 * const t = timesLike(x, 0.5);            // [batch]
 * isUniformBatch(t);                      // true
 * isUniformBatch(timeBatch([0.5, 0.5]).t); // false
 * ```
 */
export function isUniformBatch(t: Tensor): boolean {
  return t.rank === 1 && UNIFORM.has(t);
}
