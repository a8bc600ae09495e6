import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { isTensor, NonFiniteError, TypeMismatchError, typeLabel, ValueRangeError, type Dataset, type Rng } from '@charlearn/core';
import { assertImageSet, type ImageSet } from './image-set';
import { assertCount, assertRng } from './validate';

/** Options of {@link imageDataset}. */
export interface ImageDatasetOptions {
  /** Flip each drawn image left–right with probability 1/2 (default false). */
  flip?: boolean;
  /**
   * `[lo, hi]`, the model's units of pixels 0 and 1: pixel `p` is served as `lo + (hi − lo)·p` (default
   * `[-1, 1]`; `[0, 1]` serves the pixels as they are, as torchvision's `ToTensor()` does).
   */
  range?: readonly [number, number];
  /** The σ_data the EDM preconditioning uses (default: the std of the served pixels; e.g. 1 for a network trained with σ_data = 1). */
  sigmaData?: number;
}

/**
 * An {@link ImageSet} as a core {@link Dataset}: pixels `p ∈ [0, 1]` are
 * served as `x = 2p − 1 ∈ [−1, 1]` (or `lo + (hi − lo)·p` for a `range`
 * `[lo, hi]`), drawn with replacement.
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
  /** The std of all mapped pixels `lo + (hi − lo)·p` of the set (population std, float64), unless given (`options.sigmaData`). */
  readonly sigmaData: number;
  /** The mean of all mapped pixels `lo + (hi − lo)·p` of the set. */
  readonly dataMean: number;
  /** `[lo, hi]`: the model's units of pixels 0 and 1. */
  readonly range: readonly [number, number];
  /** Number of stored images. */
  readonly size: number;
  /** Whether draws are randomly flipped left–right. */
  readonly flip: boolean;
  /** The underlying set (not copied). */
  readonly set: ImageSet;
  /** `batch` images in `range` ([−1, 1] by default), float32 `[batch, H, W, C]`. */
  sample(batch: number, rng: Rng): Tensor4D;
  /** `n` images in `range`, float32 row-major `n·H·W·C` (the same draws as `sample`). */
  sampleArray(n: number, rng: Rng): Float32Array;
  /** Model space → pixels [0, 1], clipped: `clip((x − lo) / (hi − lo), 0, 1)` (`clip((x + 1) / 2, 0, 1)` by default), same shape. */
  toPixels(x: Tensor): Tensor;
  toPixels(x: Float32Array): Float32Array;
}

/**
 * Wraps an {@link ImageSet} as a {@link Dataset} for training image models:
 * pixels mapped to [−1, 1] (or `options.range`), `sigmaData` measured on the
 * mapped pixels (or `options.sigmaData`), seeded
 * draws with replacement (each draw takes one `rng.uniform()` for the index,
 * and one more for the flip when `flip: true`). The set is validated first:
 * a malformed set → {@link @charlearn/core!ShapeError}/{@link TypeMismatchError}, a pixel
 * outside [0, 1] → {@link ValueRangeError}, NaN → {@link NonFiniteError},
 * constant pixels (σ = 0) → {@link ValueRangeError}; a `range` that is not
 * `[lo, hi]` with `lo < hi`, or a `sigmaData` that is not > 0 → {@link ValueRangeError}.
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
  const { flip = false, range = [-1, 1] as const } = options;
  if (typeof flip !== 'boolean') throw new TypeMismatchError(`options.flip must be a boolean, got ${typeLabel(flip)}`, 'options.flip');
  assertPixelRange(range);
  if (options.sigmaData !== undefined && !(typeof options.sigmaData === 'number' && Number.isFinite(options.sigmaData) && options.sigmaData > 0)) {
    throw new ValueRangeError(`options.sigmaData must be a finite number > 0, got ${String(options.sigmaData)}`, 'options.sigmaData');
  }
  const [lo, hi] = range;
  const scale = hi - lo;
  const { mean: mean2, std: std2 } = mappedPixelStats(set.images);
  if (!(std2 > 0)) throw new ValueRangeError(`set.images are all equal (${(mean2 + 1) / 2}); sigmaData would be 0`, 'set.images');
  // mappedPixelStats gives the moments of 2p − 1; lo + scale·p = (lo + hi) / 2 + (scale / 2)·(2p − 1)
  // (for the default [-1, 1] exactly the moments of 2p − 1)
  const mean = (lo + hi) / 2 + (scale / 2) * mean2;
  const std = (scale * std2) / 2;
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
        for (let j = 0; j < size; j++) out[to + j] = lo + scale * src[from + j]!;
        continue;
      }
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const s = from + y * rowLen + (w - 1 - x) * c;
          const d = to + y * rowLen + x * c;
          for (let ch = 0; ch < c; ch++) out[d + ch] = lo + scale * src[s + ch]!;
        }
      }
    }
    return out;
  };

  function toPixels(x: Tensor): Tensor;
  function toPixels(x: Float32Array): Float32Array;
  function toPixels(x: Tensor | Float32Array): Tensor | Float32Array {
    if (x instanceof Float32Array) return x.map((v) => Math.min(1, Math.max(0, (v - lo) / scale)));
    if (!isTensor(x)) throw new TypeMismatchError(`x must be a tensor or a Float32Array, got ${typeLabel(x)}`, 'x');
    return tf.tidy(() => tf.clipByValue(tf.add(tf.mul(x, 1 / scale), -lo / scale), 0, 1));
  }

  return Object.freeze({
    name: set.name,
    sampleShape: Object.freeze([h, w, c] as const),
    sigmaData: options.sigmaData ?? std,
    dataMean: mean,
    range: Object.freeze([lo, hi] as [number, number]),
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
 * Checks a pixel range `[lo, hi]`: two finite numbers, `lo < hi`; a {@link ValueRangeError} naming `options.range` otherwise.
 *
 * @example
 * ```ts
 * assertPixelRange([0, 1]);  // ok
 * assertPixelRange([1, 0]);  // ValueRangeError: options.range must be [lo, hi] with lo < hi ...
 * ```
 */
export function assertPixelRange(range: unknown, parameter = 'options.range'): asserts range is readonly [number, number] {
  const ok = Array.isArray(range) && range.length === 2 && range.every((r) => typeof r === 'number' && Number.isFinite(r)) && (range[0] as number) < (range[1] as number);
  if (!ok) throw new ValueRangeError(`${parameter} must be [lo, hi] with finite lo < hi, got ${JSON.stringify(range)}`, parameter);
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
