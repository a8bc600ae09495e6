import { NonFiniteError, ShapeError } from '@charlearn/core';

/**
 * Dense float64 linear algebra for the Fréchet distance: mean and covariance
 * of a feature matrix, symmetric eigendecomposition (Householder
 * tridiagonalisation + implicit QL, the EISPACK `tred2`/`tql2` pair as in
 * JAMA), symmetric matrix functions. Matrices are flat row-major
 * `Float64Array`s of `d·d` values; sizes here are small (`d ≤ 256`).
 */

/** Eigendecomposition `A = V diag(values) Vᵀ` of a symmetric matrix. */
export interface SymmetricEigen {
  /** Eigenvalues, ascending, `[d]`. */
  values: Float64Array;
  /** Orthonormal eigenvectors as columns, row-major `[d, d]`: `vectors[i·d + k]` is entry i of eigenvector k. */
  vectors: Float64Array;
}

/** Mean and (unbiased, `n − 1`) covariance of `n` feature rows of width `d`. */
export interface GaussianStats {
  /** Number of rows the statistics were computed from. */
  n: number;
  /** Feature width. */
  d: number;
  /** Mean `[d]`. */
  mean: Float64Array;
  /** Covariance, row-major `[d, d]`, symmetric, divided by `n − 1`. */
  cov: Float64Array;
}

/**
 * Mean and unbiased covariance (divisor `n − 1`, as numpy's `np.cov` and
 * the FID reference use) of the rows of a row-major `[n, d]` array, in
 * float64 with the mean removed first (two-pass, no cancellation).
 *
 * @example
 * ```ts
 * const { mean, cov } = meanAndCovariance(Float64Array.of(0, 0, 2, 2), 2, 2);
 * // mean [1, 1], cov [[2, 2], [2, 2]]
 * ```
 */
export function meanAndCovariance(rows: Float32Array | Float64Array, n: number, d: number): GaussianStats {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 2 || d < 1) {
    throw new ShapeError(`rows must be [n, d] with n >= 2 and d >= 1, got n = ${n}, d = ${d}`, 'rows');
  }
  if (rows.length !== n * d) throw new ShapeError(`rows must hold n·d = ${n * d} values for [${n}, ${d}], got ${rows.length}`, 'rows');
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += rows[i * d + k]!;
  for (let k = 0; k < d; k++) mean[k]! /= n;
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) centred[k] = rows[i * d + k]! - mean[k]!;
    for (let a = 0; a < d; a++) {
      const ca = centred[a]!;
      if (ca === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b]! += ca * centred[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b]! / (n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { n, d, mean, cov };
}

/**
 * Eigendecomposition of a symmetric `[d, d]` matrix (only the lower triangle
 * is read): Householder reduction to tridiagonal form, then the implicit QL
 * algorithm with Wilkinson-style shifts. O(d³), backward stable; eigenvalues
 * ascending, eigenvectors orthonormal to ~1e-15·d.
 *
 * @example
 * ```ts
 * const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
 * // values [1, 3]; vectors columns ±[1, −1]/√2, ±[1, 1]/√2
 * ```
 */
export function symmetricEigen(a: Float64Array, d: number): SymmetricEigen {
  assertSquare('a', a, d);
  for (let k = 0; k < a.length; k++) {
    if (!Number.isFinite(a[k]!)) throw new NonFiniteError(`a must be finite; first non-finite entry ${a[k]} at [${Math.floor(k / d)}, ${k % d}]`, 'a');
  }
  // v[i·d + j] plays JAMA's V[i][j]: the symmetrised input, then the accumulated rotations.
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) v[i * d + j] = v[j * d + i] = a[i * d + j]!;
  const diag = new Float64Array(d);
  const off = new Float64Array(d);
  tridiagonalise(v, diag, off, d);
  tridiagonalQl(v, diag, off, d);
  return { values: diag, vectors: v };
}

/** Householder tridiagonalisation (EISPACK tred2): on exit v holds the orthogonal transform, diag/off the tridiagonal. */
function tridiagonalise(v: Float64Array, diag: Float64Array, off: Float64Array, n: number): void {
  const V = (i: number, j: number): number => v[i * n + j]!;
  for (let j = 0; j < n; j++) diag[j] = V(n - 1, j);
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(diag[k]!);
    if (scale === 0) {
      off[i] = diag[i - 1]!;
      for (let j = 0; j < i; j++) {
        diag[j] = V(i - 1, j);
        v[i * n + j] = 0;
        v[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        diag[k]! /= scale;
        h += diag[k]! * diag[k]!;
      }
      let f = diag[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      off[i] = scale * g;
      h -= f * g;
      diag[i - 1] = f - g;
      for (let j = 0; j < i; j++) off[j] = 0;
      for (let j = 0; j < i; j++) {
        f = diag[j]!;
        v[j * n + i] = f;
        g = off[j]! + V(j, j) * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V(k, j) * diag[k]!;
          off[k]! += V(k, j) * f;
        }
        off[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        off[j]! /= h;
        f += off[j]! * diag[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) off[j]! -= hh * diag[j]!;
      for (let j = 0; j < i; j++) {
        f = diag[j]!;
        g = off[j]!;
        for (let k = j; k <= i - 1; k++) v[k * n + j]! -= f * off[k]! + g * diag[k]!;
        diag[j] = V(i - 1, j);
        v[i * n + j] = 0;
      }
    }
    diag[i] = h;
  }
  // Accumulate transformations.
  for (let i = 0; i < n - 1; i++) {
    v[(n - 1) * n + i] = V(i, i);
    v[i * n + i] = 1;
    const h = diag[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) diag[k] = V(k, i + 1) / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V(k, i + 1) * V(k, j);
        for (let k = 0; k <= i; k++) v[k * n + j]! -= g * diag[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    diag[j] = V(n - 1, j);
    v[(n - 1) * n + j] = 0;
  }
  v[(n - 1) * n + n - 1] = 1;
  off[0] = 0;
}

/** Implicit QL on the tridiagonal (EISPACK tql2), accumulating into v; sorts ascending. */
function tridiagonalQl(v: Float64Array, diag: Float64Array, off: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) off[i - 1] = off[i]!;
  off[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(diag[l]!) + Math.abs(off[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(off[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      for (let iter = 0; ; iter++) {
        if (iter > 60) throw new Error(`symmetricEigen: QL iteration did not converge for eigenvalue ${l}`);
        let g = diag[l]!;
        let p = (diag[l + 1]! - g) / (2 * off[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        diag[l] = off[l]! / (p + r);
        diag[l + 1] = off[l]! * (p + r);
        const dl1 = diag[l + 1]!;
        let h = g - diag[l]!;
        for (let i = l + 2; i < n; i++) diag[i]! -= h;
        f += h;
        p = diag[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = off[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * off[i]!;
          h = c * p;
          r = Math.hypot(p, off[i]!);
          off[i + 1] = s * r;
          s = off[i]! / r;
          c = p / r;
          p = c * diag[i]! - s * g;
          diag[i + 1] = h + s * (c * g + s * diag[i]!);
          for (let k = 0; k < n; k++) {
            const row = k * n;
            h = v[row + i + 1]!;
            v[row + i + 1] = s * v[row + i]! + c * h;
            v[row + i] = c * v[row + i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * off[l]!) / dl1;
        off[l] = s * p;
        diag[l] = c * p;
        if (!(Math.abs(off[l]!) > eps * tst1)) break;
      }
    }
    diag[l] = diag[l]! + f;
    off[l] = 0;
  }
  // Selection sort ascending, swapping eigenvector columns.
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = diag[i]!;
    for (let j = i + 1; j < n; j++) {
      if (diag[j]! < p) {
        k = j;
        p = diag[j]!;
      }
    }
    if (k !== i) {
      diag[k] = diag[i]!;
      diag[i] = p;
      for (let j = 0; j < n; j++) {
        const t = v[j * n + i]!;
        v[j * n + i] = v[j * n + k]!;
        v[j * n + k] = t;
      }
    }
  }
}

/**
 * `V diag(f(λ)) Vᵀ` for a symmetric `[d, d]` matrix with eigendecomposition
 * `eig`: the symmetric matrix function. The result is exactly symmetric.
 *
 * @example
 * ```ts
 * const d = 2;
 * const e = symmetricEigen(new Float64Array([2, 1, 1, 2]), d);  // [d, d] row-major
 * const sqrtA = applySpectralFunction(e, d, (l) => Math.sqrt(Math.max(l, 0)));
 * ```
 */
export function applySpectralFunction(eig: SymmetricEigen, d: number, f: (lambda: number) => number): Float64Array {
  const { values, vectors } = eig;
  const fl = new Float64Array(d);
  for (let k = 0; k < d; k++) fl[k] = f(values[k]!);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += vectors[i * d + k]! * fl[k]! * vectors[j * d + k]!;
      out[i * d + j] = s;
      out[j * d + i] = s;
    }
  }
  return out;
}

/**
 * The principal square root of a symmetric positive semi-definite `[d, d]`
 * matrix, `V diag(√max(λ, 0)) Vᵀ`. Eigenvalues that rounding has pushed
 * slightly below zero are clipped to 0 (a PSD matrix has none).
 *
 * @example
 * ```ts
 * symmetricSqrt(Float64Array.of(4, 0, 0, 9), 2); // [2, 0, 0, 3]
 * ```
 */
export function symmetricSqrt(a: Float64Array, d: number): Float64Array {
  return applySpectralFunction(symmetricEigen(a, d), d, (l) => Math.sqrt(Math.max(l, 0)));
}

/**
 * Product `A B` of two row-major `[d, d]` matrices.
 *
 * @example
 * ```ts
 * matMulSquare(Float64Array.of(1, 2, 3, 4), Float64Array.of(1, 0, 0, 1), 2); // [1, 2, 3, 4]
 * ```
 */
export function matMulSquare(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k]!;
      if (aik === 0) continue;
      const bRow = k * d;
      const oRow = i * d;
      for (let j = 0; j < d; j++) out[oRow + j]! += aik * b[bRow + j]!;
    }
  }
  return out;
}

/**
 * Trace of a row-major `[d, d]` matrix.
 *
 * @example
 * ```ts
 * trace(Float64Array.of(1, 2, 3, 4), 2); // 5
 * ```
 */
export function trace(a: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[i * d + i]!;
  return s;
}

function assertSquare(parameter: string, a: Float64Array, d: number): void {
  if (!Number.isInteger(d) || d < 1) throw new ShapeError(`${parameter}: size d must be a positive integer, got ${d}`, parameter);
  if (!(a instanceof Float64Array) || a.length !== d * d) {
    throw new ShapeError(`${parameter} must be a Float64Array of d·d = ${d * d} values ([${d}, ${d}] row-major), got length ${(a as { length?: number }).length}`, parameter);
  }
}
