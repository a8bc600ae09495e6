import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';

/** How a call's rows are cut into chunks that the calling thread and the sampling replicas claim one at a time. */
export interface ChunkLayout {
  /** Rows of `z` in the call. */
  readonly rows: number;
  /** One sample's shape, `z.shape.slice(1)`. */
  readonly sampleShape: readonly number[];
  /** Rows of a chunk; the last chunk has the rest. */
  readonly chunkRows: number;
}

/**
 * The layout of `rows` rows over `participants` threads with `chunksPerParticipant` chunks each (as even as possible:
 * `chunkLayout(2000, [2], 2, 2).chunkRows` is 500), so that a thread that is slowed down (a busy core) takes fewer.
 *
 * @example
 * ```ts
 * chunkLayout(65, [2], 2, 2); // { rows: 65, sampleShape: [2], chunkRows: 17 }: chunks of 17, 17, 17 and 14 rows
 * ```
 */
export function chunkLayout(rows: number, sampleShape: readonly number[], participants: number, chunksPerParticipant: number): ChunkLayout {
  return { rows, sampleShape, chunkRows: Math.max(1, Math.ceil(rows / (participants * chunksPerParticipant))) };
}

/** How many chunks a layout has. */
export function chunkCount(layout: ChunkLayout): number {
  return Math.ceil(layout.rows / layout.chunkRows);
}

/**
 * Claims chunks (`Atomics.add(claims, 0, 1)`) until none is left, and for each replaces its rows of `data` (`z` in,
 * `[rows, ...sampleShape]` flat) by `sample(zChunk)`: `zChunk: [chunk rows, ...sampleShape]` → the same shape. A row is
 * read and written only by the thread that claimed its chunk. Tensors are disposed on every path.
 *
 * @returns the number of chunks this thread sampled.
 */
export function sampleClaimedChunks(claims: Int32Array, data: Float32Array, layout: ChunkLayout, sample: (z: Tensor) => Tensor): number {
  const rowSize = layout.sampleShape.reduce((a, b) => a * b, 1);
  const count = chunkCount(layout);
  let done = 0;
  for (let chunk = Atomics.add(claims, 0, 1); chunk < count; chunk = Atomics.add(claims, 0, 1)) {
    const first = chunk * layout.chunkRows;
    const n = Math.min(layout.chunkRows, layout.rows - first);
    const x = tf.tidy(() => sample(tf.tensor(data.slice(first * rowSize, (first + n) * rowSize), [n, ...layout.sampleShape])));
    try {
      data.set(x.dataSync() as Float32Array, first * rowSize);
    } finally {
      x.dispose();
    }
    done++;
  }
  return done;
}
