/**
 * The user's own images from an array (`data.file: images.npy`, `[N, H, W, C]`): the pixel-range rule that maps
 * the file's values to pixels in [0, 1], and the {@link ImageSet} it gives. Pure and browser-safe.
 *
 * The rule ({@link pixelRangeOf}): `uint8` arrays are `[0, 255]`; float arrays whose values all lie in `[0, 1]`
 * are `[0, 1]`, else in `[-1, 1]` are `[-1, 1]`; any other float array is fitted, `[min, max]` of the file.
 * `pixel = (value − low) / (high − low)`; sampled pixels go back with `value = low + pixel · (high − low)`.
 */
import { DataFileError } from '@charlearn/core';
import type { ImageSet } from './image-set';

/** The element type of a data file's array (CSV and JSON numbers are `'float64'`). */
export type ArrayDtype = 'uint8' | 'float32' | 'float64';

/** The values a data file's pixels range over: `pixel = (value − low) / (high − low)`. */
export interface PixelRange {
  readonly low: number;
  readonly high: number;
}

/** Channel counts an image array may have (grey, grey + alpha, RGB, RGBA). */
export const MAX_IMAGE_CHANNELS = 4;

/**
 * The pixel range of an image array by the documented rule (see the module doc).
 *
 * @example
 * ```ts
 * pixelRangeOf(Float64Array.of(0, 0.5, 1), 'float32');  // { low: 0, high: 1 }
 * pixelRangeOf(Float64Array.of(-1, 0.5), 'float32');    // { low: -1, high: 1 }
 * pixelRangeOf(Float64Array.of(3, 7, 12), 'float64');   // { low: 3, high: 12 } (fitted)
 * pixelRangeOf(Uint8Array.of(0, 17), 'uint8');          // { low: 0, high: 255 }
 * ```
 */
export function pixelRangeOf(values: ArrayLike<number>, dtype: ArrayDtype): PixelRange {
  if (dtype === 'uint8') return { low: 0, high: 255 };
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (min >= 0 && max <= 1) return { low: 0, high: 1 };
  if (min >= -1 && max <= 1) return { low: -1, high: 1 };
  return { low: min, high: max };
}

/**
 * Checks a data file's shape as an image array `[N, H, W, C]` (channels last, C ≤ {@link MAX_IMAGE_CHANNELS}).
 *
 * @throws DataFileError naming what is wrong and how to fix it (e.g. a channels-first `[N, C, H, W]` array)
 * @example
 * ```ts
 * assertImageArrayShape([32, 8, 8, 1], 'digits.npy'); // ok
 * ```
 */
export function assertImageArrayShape(shape: readonly number[], source: string): asserts shape is readonly [number, number, number, number] {
  if (shape.length !== 4) throw new DataFileError(`${source}: shape [${shape.join(', ')}] is not an image array [N, H, W, C]`, source);
  const [, h, w, c] = shape as [number, number, number, number];
  if (c > MAX_IMAGE_CHANNELS) {
    const hint = h <= MAX_IMAGE_CHANNELS ? `; it looks channels-first [N, C, H, W]: save np.transpose(x, (0, 2, 3, 1))` : '';
    throw new DataFileError(`${source}: shape [${shape.join(', ')}]: images must be channels-last [N, H, W, C] with C = 1 to ${MAX_IMAGE_CHANNELS}, got C = ${c}${hint}`, source);
  }
  if (h < 2 || w < 2) throw new DataFileError(`${source}: shape [${shape.join(', ')}]: images must be at least 2 x 2 pixels, got ${h} x ${w}`, source);
}

/**
 * An {@link ImageSet} (pixels in [0, 1]) from a data file's image array `[N, H, W, C]` and its {@link PixelRange}
 * (given, e.g. the one a checkpoint recorded, or by {@link pixelRangeOf}).
 *
 * @throws DataFileError for a bad shape, or constant images (no pixel range to fit)
 * @example
 * ```ts
 * const values = Float64Array.from({ length: 32 * 8 * 8 }, (_, i) => (i * 37) % 256);
 * const { set, pixelRange } = imageSetFromArray(values, [32, 8, 8, 1], { dtype: 'uint8', name: 'digits.npy' }); // pixelRange [0, 255]
 * imageDataset(set).sample(4, new Rng(0)); // Tensor4D [4, 8, 8, 1] in [-1, 1]
 * ```
 */
export function imageSetFromArray(
  values: ArrayLike<number>,
  shape: readonly number[],
  options: { readonly dtype: ArrayDtype; readonly name: string; readonly pixelRange?: PixelRange; /** Named in errors (default `name`). */ readonly source?: string },
): { set: ImageSet; pixelRange: PixelRange } {
  const source = options.source ?? options.name;
  assertImageArrayShape(shape, source);
  const [n, h, w, c] = shape;
  const first = values[0]!;
  let constant = true;
  for (let i = 1; i < values.length && constant; i++) constant = values[i] === first;
  if (constant) throw new DataFileError(`${source}: every value is ${first}: constant images have nothing to learn`, source);
  const range = options.pixelRange ?? pixelRangeOf(values, options.dtype);
  const scale = 1 / (range.high - range.low);
  const images = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) images[i] = Math.min(1, Math.max(0, (values[i]! - range.low) * scale));
  const set: ImageSet = Object.freeze({ name: options.name, split: 'train', shape: Object.freeze([h, w, c] as const), count: n, images, labels: new Uint8Array(n), classNames: Object.freeze(['image']) });
  return { set, pixelRange: { low: range.low, high: range.high } };
}

/**
 * Pixels in [0, 1] back to the file's units, `low + pixel · (high − low)`.
 *
 * @example
 * ```ts
 * pixelsToUnits(Float32Array.of(0, 0.5, 1), { low: 0, high: 255 }); // Float32Array [0, 127.5, 255]
 * ```
 */
export function pixelsToUnits(pixels: Float32Array, range: PixelRange): Float32Array {
  return pixels.map((p) => range.low + p * (range.high - range.low));
}
