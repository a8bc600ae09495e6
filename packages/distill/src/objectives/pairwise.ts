import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';

/**
 * Most scalars one chunk of a pairwise computation materialises (rows × columns,
 * times the coordinates for the direct-difference form): 2²² floats, 16 MiB.
 * A batch of 4096 in 2-D is then done in chunks of 512 rows.
 */
export const PAIRWISE_CHUNK_ELEMENTS = 1 << 22;

/** Up to this many coordinates, squared distances are summed from direct differences (exact for far-apart points); above it, by `‖a‖² + ‖b‖² − 2a·b`. */
export const DIRECT_DISTANCE_MAX_DIM = 16;

/**
 * A `[batch, ...dims]` tensor as `[batch, D]` (D = the product of `dims`).
 *
 * @example
 * ```ts
 * flattenBatch(images).shape; // [256, 784] for [256, 28, 28, 1]
 * ```
 */
export function flattenBatch(x: Tensor): Tensor2D {
  return tf.reshape(x, [x.shape[0]!, -1]) as Tensor2D;
}

/**
 * Squared Euclidean distances `C_ij = ‖a_i − b_j‖²`, `a: [n, D]`, `b: [m, D]` → `[n, m]`. For `D ≤ 16` from direct
 * differences (no cancellation, so points 10³ apart keep their relative distances in float32); above, by the
 * expansion clamped at 0 (memory `n·m` instead of `n·m·D`).
 *
 * @example
 * ```ts
 * squaredDistances(tf.tensor2d([[0, 0]]), tf.tensor2d([[3, 4]])); // [[25]]
 * ```
 */
export function squaredDistances(a: Tensor2D, b: Tensor2D): Tensor2D {
  return tf.tidy(() => {
    const d = a.shape[1]!;
    if (d <= DIRECT_DISTANCE_MAX_DIM) {
      const diff = tf.sub(tf.expandDims(a, 1), tf.expandDims(b, 0));
      return tf.sum(tf.square(diff), 2) as Tensor2D;
    }
    const aa = tf.sum(tf.square(a), 1, true);
    const bb = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]);
    const ab = tf.matMul(a, tf.transpose(b));
    return tf.relu(tf.sub(tf.add(aa, bb), tf.mul(ab, 2))) as Tensor2D;
  });
}

/**
 * Rows per chunk so that a chunk of the pairwise work against `columns` points of dimension `dim` stays within
 * {@link PAIRWISE_CHUNK_ELEMENTS} (at least one row).
 *
 * @example
 * ```ts
 * rowChunkSize(4096, 2); // 512
 * ```
 */
export function rowChunkSize(columns: number, dim: number, budget: number = PAIRWISE_CHUNK_ELEMENTS): number {
  const perRow = columns * (dim <= DIRECT_DISTANCE_MAX_DIM ? dim : 1);
  return Math.max(1, Math.floor(budget / Math.max(1, perRow)));
}

/**
 * Runs `fn` on row chunks of `x: [n, D]` (each chunk in its own `tf.tidy`, so the `[rows, m]` intermediates of one
 * chunk are freed before the next) and concatenates the results along the rows. `fn(chunk, start)` gets the chunk
 * `[rows, D]` and the index of its first row; `columns` is the size of the other point set (sets the chunk size).
 *
 * @example
 * ```ts
 * const nearest = mapRowChunks(x, y.shape[0], (c) => tf.reshape(tf.min(squaredDistances(c, y), 1), [-1, 1]));
 * ```
 */
export function mapRowChunks<T extends Tensor>(x: Tensor2D, columns: number, fn: (chunk: Tensor2D, start: number) => T): T {
  const n = x.shape[0]!;
  const rows = rowChunkSize(columns, x.shape[1]!);
  if (rows >= n) return tf.tidy(() => fn(x, 0));
  const parts: T[] = [];
  try {
    for (let start = 0; start < n; start += rows) {
      const size = Math.min(rows, n - start);
      parts.push(tf.tidy(() => fn(tf.slice(x, [start, 0], [size, -1]), start)));
    }
    return tf.concat(parts, 0) as T;
  } finally {
    tf.dispose(parts);
  }
}

/**
 * `logits` with the entries `(r, start + r)` set to −10³⁰ (weight 0 after a softmax): removes the self-pairs of a row
 * chunk that starts at row `start` of a set compared with itself. `logits: [rows, m]`.
 *
 * @example
 * ```ts
 * maskSelfPairs(tf.zeros([2, 3]), 1); // [[0, -1e30, 0], [0, 0, -1e30]]
 * ```
 */
export function maskSelfPairs(logits: Tensor2D, start: number): Tensor2D {
  return tf.tidy(() => {
    const [rows, m] = logits.shape;
    const eye = tf.oneHot(tf.range(start, start + rows, 1, 'int32') as Tensor1D, m);
    return tf.sub(logits, tf.mul(tf.cast(eye, 'float32'), 1e30)) as Tensor2D;
  });
}

/**
 * The softmax-weighted mean `Σ_j softmax_j(logits_i)·y_j` of `y: [m, D]` for each row of `logits: [rows, m]`
 * (the softmax subtracts each row's maximum, i.e. it is computed in log space: no under- or overflow however far
 * the points are). Returns `[rows, D]`.
 *
 * @example
 * ```ts
 * softmaxMean(tf.tensor2d([[0, 0]]), tf.tensor2d([[0, 0], [2, 2]])); // [[1, 1]]
 * ```
 */
export function softmaxMean(logits: Tensor2D, y: Tensor2D): Tensor2D {
  return tf.tidy(() => tf.matMul(tf.softmax(logits), y));
}
