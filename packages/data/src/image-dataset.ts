import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { isTensor, NonFiniteError, TypeMismatchError, typeLabel, ValueRangeError, type Dataset, type Rng } from '@charlearn/core';
import { assertImageSet, type ImageSet } from './image-set';
import { assertCount, assertRng } from './validate';

/** Options of {@link imageDataset}. */
export interface ImageDatasetOptions {
  /** Flip each drawn image left–right with probability 1/2 (default false). */
  flip?: boolean;
}

/**
 * An {@link ImageSet} as a core {@link Dataset}: pixels `p ∈ [0, 1]` are
 * served as `x = 2p − 1 ∈ [−1, 1]`, drawn with replacement.
 *
 * @example
 * ```ts
 * const ds = imageDataset(await loadMnist());
 * const x1 = ds.sample(64, new Rng(0));   // Tensor4D [64, 28, 28, 1] in [-1, 1]
 * const pixels = ds.toPixels(x1);         // back to [0, 1], same shape
 * ```
 */
export interface ImageDataset extends Dataset {
  /** `[H, W, C]` of one image. */
  readonly sampleShape: readonly [number, number, number];
  /** The std of all mapped pixels `2p − 1` of the set (population std, float64). */
  readonly sigmaData: number;
  /** The mean of all mapped pixels `2p − 1` of the set. */
  readonly dataMean: number;
  /** Number of stored images. */
  readonly size: number;
  /** Whether draws are randomly flipped left–right. */
  readonly flip: boolean;
  /** The underlying set (not copied). */
  readonly set: ImageSet;
  /** `batch` images in [−1, 1], float32 `[batch, H, W, C]`. */
  sample(batch: number, rng: Rng): Tensor4D;
  /** `n` images in [−1, 1], float32 row-major `n·H·W·C` (the same draws as `sample`). */
  sampleArray(n: number, rng: Rng): Float32Array;
  /** Model space [−1, 1] → pixels [0, 1], clipped: `clip((x + 1) / 2, 0, 1)`, same shape. */
  toPixels(x: Tensor): Tensor;
  toPixels(x: Float32Array): Float32Array;
}

/**
 * Wraps an {@link ImageSet} as a {@link Dataset} for training image models:
 * pixels mapped to [−1, 1], `sigmaData` measured on the mapped pixels, seeded
 * draws with replacement (each draw takes one `rng.uniform()` for the index,
 * and one more for the flip when `flip: true`). The set is validated first:
 * a malformed set → {@link @charlearn/core!ShapeError}/{@link TypeMismatchError}, a pixel
 * outside [0, 1] → {@link ValueRangeError}, NaN → {@link NonFiniteError},
 * constant pixels (σ = 0) → {@link ValueRangeError}.
 *
 * @example
 * ```ts
 * import { imageDataset } from '@charlearn/data';
 * import { loadFashionMnist } from '@charlearn/data/images';
 * const ds = imageDataset(await loadFashionMnist(), { flip: true });
 * ds.sigmaData;                         // ≈ 0.71 for Fashion-MNIST train
 * const x = ds.sample(128, new Rng(1)); // [128, 28, 28, 1]
 * ```
 */
export function imageDataset(set: ImageSet, options: ImageDatasetOptions = {}): ImageDataset {
  assertImageSet('set', set);
  if (typeof options !== 'object' || options === null) {
    throw new TypeMismatchError(`options must be an object, got ${typeLabel(options)}`, 'options');
  }
  const { flip = false } = options;
  if (typeof flip !== 'boolean') throw new TypeMismatchError(`options.flip must be a boolean, got ${typeLabel(flip)}`, 'options.flip');
  const { mean, std } = mappedPixelStats(set.images);
  if (!(std > 0)) throw new ValueRangeError(`set.images are all equal (${(mean + 1) / 2}); sigmaData would be 0`, 'set.images');
  const [h, w, c] = set.shape;
  const size = h * w * c;
  const rowLen = w * c;

  const sampleArray = (n: number, rng: Rng): Float32Array => {
    assertCount('n', n);
    assertRng('rng', rng);
    const out = new Float32Array(n * size);
    const src = set.images;
    for (let k = 0; k < n; k++) {
      const i = Math.min(set.count - 1, Math.floor(rng.uniform() * set.count));
      const mirror = flip && rng.uniform() < 0.5;
      const from = i * size;
      const to = k * size;
      if (!mirror) {
        for (let j = 0; j < size; j++) out[to + j] = 2 * src[from + j]! - 1;
        continue;
      }
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const s = from + y * rowLen + (w - 1 - x) * c;
          const d = to + y * rowLen + x * c;
          for (let ch = 0; ch < c; ch++) out[d + ch] = 2 * src[s + ch]! - 1;
        }
      }
    }
    return out;
  };

  function toPixels(x: Tensor): Tensor;
  function toPixels(x: Float32Array): Float32Array;
  function toPixels(x: Tensor | Float32Array): Tensor | Float32Array {
    if (x instanceof Float32Array) return x.map((v) => Math.min(1, Math.max(0, (v + 1) / 2)));
    if (!isTensor(x)) throw new TypeMismatchError(`x must be a tensor or a Float32Array, got ${typeLabel(x)}`, 'x');
    return tf.tidy(() => tf.clipByValue(tf.add(tf.mul(x, 0.5), 0.5), 0, 1));
  }

  return Object.freeze({
    name: set.name,
    sampleShape: Object.freeze([h, w, c] as const),
    sigmaData: std,
    dataMean: mean,
    size: set.count,
    flip,
    set,
    sampleArray,
    sample(batch: number, rng: Rng): Tensor4D {
      assertCount('batch', batch);
      return tf.tensor4d(sampleArray(batch, rng), [batch, h, w, c], 'float32');
    },
    toPixels,
  });
}

/**
 * Mean and population std of `2p − 1` over all pixels `p`, in float64 (two
 * passes); checks every `p` is finite and in [0, 1] on the way.
 *
 * @example
 * ```ts
 * mappedPixelStats(Float32Array.of(0, 1)); // { mean: 0, std: 1 }
 * ```
 */
export function mappedPixelStats(images: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < images.length; i++) {
    const p = images[i]!;
    if (!(p >= 0 && p <= 1)) {
      if (Number.isNaN(p)) throw new NonFiniteError(`set.images must be finite; first NaN at index ${i}`, 'set.images');
      throw new ValueRangeError(`set.images must be pixels in [0, 1]; got ${p} at index ${i}`, 'set.images');
    }
    sum += p;
  }
  const meanP = sum / images.length;
  let sq = 0;
  for (let i = 0; i < images.length; i++) {
    const d = images[i]! - meanP;
    sq += d * d;
  }
  return { mean: 2 * meanP - 1, std: 2 * Math.sqrt(sq / images.length) };
}
