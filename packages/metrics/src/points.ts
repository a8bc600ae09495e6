import type { Tensor2D } from '@tensorflow/tfjs-core';
import { assertNumber, assertTensor, isTensor, ValueRangeError, NonFiniteError, ShapeError, TypeMismatchError, typeLabel } from '@charlearn/core';

/** Largest coordinate magnitude the metrics accept: squared distances of such points stay finite in float64. */
const MAX_COORDINATE = 1e150;

/**
 * A point set: `n` points of `dim` coordinates, as a flat row-major
 * `Float32Array`/`Float64Array` (`n·dim` values, `dim` from the options,
 * default 2), a `Tensor2D [n, dim]`, or rows (`number[][]`).
 */
export type PointSet = Float32Array | Float64Array | Tensor2D | readonly (readonly number[])[];

/** A validated point set in float64: `n × dim`, row-major. */
export interface Points {
  readonly data: Float64Array;
  readonly n: number;
  readonly dim: number;
}

/**
 * Validates a {@link PointSet} and copies it into float64. `dim` is required
 * to match a tensor's or rows' own width when given; for flat arrays it
 * defaults to 2. Throws {@link ShapeError} (empty, ragged, wrong width),
 * {@link TypeMismatchError} (not a point set) or {@link NonFiniteError}
 * (naming the first bad point and coordinate), each naming `parameter`.
 *
 * @example
 * ```ts
 * toPoints('a', Float32Array.of(0, 0, 1, 1));        // { n: 2, dim: 2, data }
 * toPoints('b', tf.zeros([5, 3]) as tf.Tensor2D);     // { n: 5, dim: 3, data }
 * ```
 */
export function toPoints(parameter: string, value: unknown, dim?: number): Points {
  if (dim !== undefined) assertNumber('options.dim', dim, { integer: true, min: 1 });
  let flat: ArrayLike<number>;
  let d: number;
  if (isTensor(value)) {
    assertTensor(parameter, value);
    if (value.rank !== 2) throw new ShapeError(`${parameter} must be a Tensor2D [n, dim], got shape [${value.shape.join(', ')}]`, parameter);
    d = value.shape[1]!;
    flat = value.dataSync() as ArrayLike<number>;
  } else if (value instanceof Float32Array || value instanceof Float64Array) {
    d = dim ?? 2;
    if (value.length % d !== 0) throw new ShapeError(`${parameter} must hold n·dim values (dim = ${d}), got ${value.length}`, parameter);
    flat = value;
  } else if (Array.isArray(value)) {
    const rows = value as unknown[];
    const first = rows[0];
    d = Array.isArray(first) ? first.length : 0;
    const out = new Float64Array(rows.length * d);
    rows.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== d) {
        throw new ShapeError(`${parameter}[${i}] must be a row of ${d} numbers like ${parameter}[0], got ${typeLabel(row)}`, parameter);
      }
      row.forEach((v: unknown, j) => {
        if (typeof v !== 'number') throw new TypeMismatchError(`${parameter}[${i}][${j}] must be a number, got ${typeLabel(v)}`, parameter);
        out[i * d + j] = v;
      });
    });
    flat = out;
  } else {
    throw new TypeMismatchError(`${parameter} must be a Float32Array, Float64Array, Tensor2D [n, dim] or number[][], got ${typeLabel(value)}`, parameter);
  }
  if (dim !== undefined && d !== dim) throw new ShapeError(`${parameter} must have dim = ${dim} coordinates per point, got ${d}`, parameter);
  const n = d > 0 ? flat.length / d : 0;
  if (n === 0 || d === 0) throw new ShapeError(`${parameter} must hold at least one point of dim >= 1, got none`, parameter);
  const data = flat instanceof Float64Array && flat !== value ? flat : Float64Array.from(flat);
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k]!)) {
      throw new NonFiniteError(`${parameter} must be finite; first non-finite value ${data[k]} at point ${Math.floor(k / d)}, coordinate ${k % d}`, parameter);
    }
    if (Math.abs(data[k]!) > MAX_COORDINATE) {
      throw new ValueRangeError(`${parameter} coordinates must be within ±${MAX_COORDINATE} (so squared distances stay finite), got ${data[k]} at point ${Math.floor(k / d)}, coordinate ${k % d}`, parameter);
    }
  }
  return { data, n, dim: d };
}

/**
 * Checks that two point sets have the same dimension, else a {@link ShapeError}
 * naming `parameterB`.
 *
 * @example
 * ```ts
 * assertSameDim(a, b, 'a', 'b'); // ok when a.dim === b.dim
 * ```
 */
export function assertSameDim(a: Points, b: Points, parameterA: string, parameterB: string): void {
  if (a.dim !== b.dim) {
    throw new ShapeError(`${parameterB} must have the same dim as ${parameterA} (${a.dim}), got ${b.dim}`, parameterB);
  }
}

/**
 * Squared Euclidean distance between point `i` of `a` and point `j` of `b`.
 *
 * @example
 * ```ts
 * squaredDistance(a, 0, b, 3); // ‖a_0 − b_3‖²
 * ```
 */
export function squaredDistance(a: Points, i: number, b: Points, j: number): number {
  const d = a.dim;
  let s = 0;
  for (let k = 0; k < d; k++) {
    const diff = a.data[i * d + k]! - b.data[j * d + k]!;
    s += diff * diff;
  }
  return s;
}

/**
 * The `n_a × n_b` matrix of squared Euclidean distances, float64 row-major.
 *
 * @example
 * ```ts
 * const C = squaredDistanceMatrix(a, b); // C[i * b.n + j] = ‖a_i − b_j‖²
 * ```
 */
export function squaredDistanceMatrix(a: Points, b: Points): Float64Array {
  const out = new Float64Array(a.n * b.n);
  if (a.dim === 2) {
    const A = a.data;
    const B = b.data;
    for (let i = 0; i < a.n; i++) {
      const x = A[2 * i]!;
      const y = A[2 * i + 1]!;
      const row = i * b.n;
      for (let j = 0; j < b.n; j++) {
        const dx = x - B[2 * j]!;
        const dy = y - B[2 * j + 1]!;
        out[row + j] = dx * dx + dy * dy;
      }
    }
    return out;
  }
  for (let i = 0; i < a.n; i++) for (let j = 0; j < b.n; j++) out[i * b.n + j] = squaredDistance(a, i, b, j);
  return out;
}

/**
 * Squared diameter of the bounding box of two point sets of the same dim:
 * `Σ_k (max_k − min_k)²` over both sets; an upper bound on every squared distance.
 *
 * @example
 * ```ts
 * boundingDiameterSquared(a, b); // ≥ max_ij ‖a_i − b_j‖²
 * ```
 */
export function boundingDiameterSquared(a: Points, b: Points): number {
  let s = 0;
  for (let k = 0; k < a.dim; k++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of [a, b]) {
      for (let i = 0; i < p.n; i++) {
        const val = p.data[i * p.dim + k]!;
        if (val < lo) lo = val;
        if (val > hi) hi = val;
      }
    }
    s += (hi - lo) ** 2;
  }
  return s;
}
