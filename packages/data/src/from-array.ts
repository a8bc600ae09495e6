import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { assertNumber, NonFiniteError, ShapeError, TypeMismatchError, typeLabel, type Dataset, type Rng } from '@charlearn/core';
import { meanStd } from './normalisation';
import { assertCount, assertRng } from './validate';

/** Options of {@link datasetFromArray}. */
export interface ArrayDatasetOptions {
  /** Normalise each coordinate to mean 0, std 1 (default true). */
  normalise?: boolean;
  /** Name for logs and metrics (default `'array'`). */
  name?: string;
}

/**
 * User data as a {@link Dataset}: `n` stored points of `dim` coordinates,
 * sampled with replacement.
 *
 * @example
 * ```ts
 * const ds = datasetFromArray([[0, 1], [2, 3], [4, 5]], 2);
 * const batch = ds.sample(128, new Rng(0)); // Tensor2D [128, 2], normalised
 * ```
 */
export interface ArrayDataset extends Dataset {
  readonly sampleShape: readonly [number];
  /** Number of stored points. */
  readonly size: number;
  /** Coordinates per point. */
  readonly dim: number;
  /** Whether the stored points were normalised. */
  readonly normalised: boolean;
  /**
   * `stored = (raw − mean) / std` per coordinate; mean 0 and std 1 when not
   * normalised. A constant coordinate keeps std 1 (scikit-learn's convention).
   */
  readonly normalisation: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** `batch` points drawn with replacement, float32 `[batch, dim]`. */
  sample(batch: number, rng: Rng): Tensor2D;
  /** `n` points drawn with replacement, float32 row-major `n·dim` (the same draws as `sample`). */
  sampleArray(n: number, rng: Rng): Float32Array;
  /** A copy of all stored points (normalised if `normalised`), float32 row-major `size·dim`. */
  toArray(): Float32Array;
}

/**
 * Wraps user data as a {@link Dataset}. `values`: flat row-major
 * (`Float32Array`/`Float64Array` of `n·dim` numbers) or rows (`number[][]`,
 * each of length `dim`). Validated before anything else: empty data or a row of
 * the wrong length → {@link ShapeError}; a non-number → {@link TypeMismatchError};
 * NaN/±Inf → {@link NonFiniteError} naming the first bad row and column.
 * `sigmaData` is 1 when normalised, else the root-mean-square of the
 * per-coordinate stds.
 *
 * @example
 * ```ts
 * const ds = datasetFromArray(Float32Array.of(0, 0, 1, 2, 2, 4), 2, { name: 'line' });
 * ds.size;                           // 3
 * ds.sampleArray(4, new Rng(0));     // 4 rows drawn with replacement, normalised
 * ```
 */
export function datasetFromArray(
  values: Float32Array | Float64Array | readonly (readonly number[])[],
  dim: number,
  options: ArrayDatasetOptions = {},
): ArrayDataset {
  assertNumber('dim', dim, { integer: true, min: 1 });
  if (typeof options !== 'object' || options === null) throw new TypeMismatchError(`options must be an object, got ${typeLabel(options)}`, 'options');
  const { normalise = true, name = 'array' } = options;
  if (typeof normalise !== 'boolean') throw new TypeMismatchError(`options.normalise must be a boolean, got ${typeLabel(normalise)}`, 'options.normalise');
  if (typeof name !== 'string') throw new TypeMismatchError(`options.name must be a string, got ${typeLabel(name)}`, 'options.name');
  const raw = toFlat(values, dim);
  const n = raw.length / dim;
  const stats = meanStd(raw, dim);
  const mean = normalise ? stats.mean : new Array<number>(dim).fill(0);
  const std = normalise ? stats.std.map((s) => (s > 0 ? s : 1)) : new Array<number>(dim).fill(1);
  const stored = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) stored[i] = (raw[i]! - mean[i % dim]!) / std[i % dim]!;
  const sigmaData = normalise ? 1 : Math.sqrt(stats.std.reduce((a, s) => a + s * s, 0) / dim);

  const sampleArray = (count: number, rng: Rng): Float32Array => {
    assertCount('n', count);
    assertRng('rng', rng);
    const out = new Float32Array(count * dim);
    for (let k = 0; k < count; k++) {
      const row = Math.floor(rng.uniform() * n);
      out.set(stored.subarray(row * dim, (row + 1) * dim), k * dim);
    }
    return out;
  };
  return Object.freeze({
    name,
    sampleShape: Object.freeze([dim] as const),
    sigmaData,
    size: n,
    dim,
    normalised: normalise,
    normalisation: Object.freeze({ mean: Object.freeze(mean), std: Object.freeze(std) }),
    sampleArray,
    sample(batch: number, rng: Rng): Tensor2D {
      assertCount('batch', batch);
      return tf.tensor2d(sampleArray(batch, rng), [batch, dim], 'float32');
    },
    toArray: () => stored.slice(),
  });
}

/** Validates `values` and copies it into a flat float64 array of `n·dim` numbers. */
function toFlat(values: unknown, dim: number): Float64Array {
  if (values instanceof Float32Array || values instanceof Float64Array) {
    if (values.length === 0) throw new ShapeError(`values must hold at least one row of ${dim} numbers, got an empty array`, 'values');
    if (values.length % dim !== 0) {
      throw new ShapeError(`values must hold n·dim numbers (dim = ${dim}), got ${values.length}, not a multiple of ${dim}`, 'values');
    }
    for (let k = 0; k < values.length; k++) {
      if (!(Math.abs(values[k]!) <= FLOAT32_MAX)) throw nonFinite(Math.floor(k / dim), k % dim, values[k]!);
    }
    return Float64Array.from(values);
  }
  if (!Array.isArray(values)) {
    throw new TypeMismatchError(`values must be a Float32Array, a Float64Array or an array of rows (number[][]), got ${typeLabel(values)}`, 'values');
  }
  if (values.length === 0) throw new ShapeError(`values must hold at least one row of ${dim} numbers, got an empty array`, 'values');
  const badRow = values.findIndex((row: unknown) => !Array.isArray(row) || row.length !== dim);
  if (badRow >= 0) throw new ShapeError(`values[${badRow}] must be a row of dim = ${dim} numbers, got ${typeLabel(values[badRow])}`, 'values');
  const out = new Float64Array(values.length * dim);
  values.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== dim) {
      throw new ShapeError(`values[${i}] must be a row of dim = ${dim} numbers, got ${typeLabel(row)}`, 'values');
    }
    row.forEach((v: unknown, j) => {
      if (typeof v !== 'number') throw new TypeMismatchError(`values[${i}][${j}] must be a number, got ${typeLabel(v)}`, 'values');
      if (!(Math.abs(v) <= FLOAT32_MAX)) throw nonFinite(i, j, v);
      out[i * dim + j] = v;
    });
  });
  return out;
}

/** Largest magnitude a value may have: samples are float32 tensors. */
const FLOAT32_MAX = 3.4028234663852886e38;

function nonFinite(row: number, col: number, v: number): NonFiniteError {
  return new NonFiniteError(`values must be finite float32 numbers (|v| <= ${FLOAT32_MAX}); first bad entry ${v} at row ${row}, column ${col}`, 'values');
}
