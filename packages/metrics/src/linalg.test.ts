import { Rng, ShapeError } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { applySpectralFunction, matMulSquare, meanAndCovariance, symmetricEigen, symmetricSqrt, trace } from './linalg';

/** A random symmetric positive definite [d, d] matrix B Bᵀ / d + shift·I. */
function randomSpd(d: number, rng: Rng, shift = 0.1): Float64Array {
  const b = Float64Array.from({ length: d * d }, () => rng.normal());
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += b[i * d + k]! * b[j * d + k]!;
    a[i * d + j] = s / d + (i === j ? shift : 0);
  }
  return a;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function transpose(a: Float64Array, d: number): Float64Array {
  const t = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t[j * d + i] = a[i * d + j]!;
  return t;
}

const identity = (d: number): Float64Array => Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : 0));

describe('symmetricEigen', () => {
  it.each([1, 2, 3, 17, 64, 128])('reconstructs a random SPD matrix of size %i to ~1e-13 with orthonormal, ascending eigenpairs', (d) => {
    const a = randomSpd(d, new Rng(d));
    const { values, vectors } = symmetricEigen(a, d);
    const back = applySpectralFunction({ values, vectors }, d, (l) => l);
    const scale = Math.max(...Array.from(a, Math.abs));
    expect(maxAbs(back, a) / scale).toBeLessThan(1e-13 * Math.max(d, 10));
    expect(maxAbs(matMulSquare(transpose(vectors, d), vectors, d), identity(d))).toBeLessThan(1e-13 * Math.max(d, 10));
    for (let k = 1; k < d; k++) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
    expect(values.reduce((s, l) => s + l, 0)).toBeCloseTo(trace(a, d), 9);
    // A v_k = λ_k v_k for the extreme pair
    for (const k of [0, d - 1]) {
      for (let i = 0; i < d; i++) {
        let av = 0;
        for (let j = 0; j < d; j++) av += a[i * d + j]! * vectors[j * d + k]!;
        expect(Math.abs(av - values[k]! * vectors[i * d + k]!)).toBeLessThan(1e-11 * scale * d);
      }
    }
  });

  it('handles repeated eigenvalues and a diagonal matrix exactly', () => {
    const diag = Float64Array.of(3, 0, 0, 0, 1, 0, 0, 0, 3);
    const { values, vectors } = symmetricEigen(diag, 3);
    expect(Array.from(values)).toEqual([1, 3, 3]);
    expect(maxAbs(applySpectralFunction({ values, vectors }, 3, (l) => l), diag)).toBeLessThan(1e-15);
    const eye = symmetricEigen(identity(5), 5);
    expect(Array.from(eye.values)).toEqual([1, 1, 1, 1, 1]);
  });

  it('gives the known eigenvalues of a rank-deficient matrix (ones(d) has d − 1 zeros and d)', () => {
    const d = 6;
    const { values } = symmetricEigen(new Float64Array(d * d).fill(1), d);
    for (let k = 0; k < d - 1; k++) expect(Math.abs(values[k]!)).toBeLessThan(1e-14);
    expect(values[d - 1]).toBeCloseTo(d, 13);
  });

  it('rejects a wrongly sized matrix with a ShapeError naming it', () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(ShapeError);
    expect(() => symmetricEigen(new Float64Array(4), 0)).toThrow(/positive integer/);
    expect(() => symmetricEigen(Float64Array.of(1, NaN, NaN, 1), 2)).toThrow(/first non-finite entry NaN at \[0, 1\]/);
  });
});

describe('symmetricSqrt', () => {
  it('squares back to the matrix and is symmetric PSD', () => {
    const d = 12;
    const a = randomSpd(d, new Rng(3));
    const r = symmetricSqrt(a, d);
    expect(maxAbs(r, transpose(r, d))).toBe(0);
    expect(maxAbs(matMulSquare(r, r, d), a)).toBeLessThan(1e-12);
    expect(symmetricEigen(r, d).values[0]!).toBeGreaterThan(0);
  });

  it('clips rounding-negative eigenvalues of a singular PSD matrix to 0', () => {
    const d = 4;
    const a = new Float64Array(d * d).fill(1); // eigenvalues 0 (×3, ± rounding), 4
    const r = symmetricSqrt(a, d);
    for (const v of r) expect(Number.isFinite(v)).toBe(true);
    expect(maxAbs(matMulSquare(r, r, d), a)).toBeLessThan(1e-12);
    expect(maxAbs(r, new Float64Array(d * d).fill(0.5))).toBeLessThan(1e-7); // √(ones/4·4) = ones/2; the clipped zeros cost √ε
  });
});

describe('meanAndCovariance', () => {
  it('matches the textbook unbiased estimator (E[xxᵀ] − μμᵀ)·n/(n − 1)', () => {
    const rng = new Rng(5);
    const [n, d] = [40, 3];
    const x = Float64Array.from({ length: n * d }, () => 10 + rng.normal());
    const { mean, cov } = meanAndCovariance(x, n, d);
    for (let a = 0; a < d; a++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += x[i * d + a]!;
      expect(mean[a]).toBeCloseTo(m / n, 12);
      for (let b = 0; b < d; b++) {
        let sab = 0;
        let sb = 0;
        for (let i = 0; i < n; i++) {
          sab += x[i * d + a]! * x[i * d + b]!;
          sb += x[i * d + b]!;
        }
        expect(cov[a * d + b]).toBeCloseTo(((sab / n - (m / n) * (sb / n)) * n) / (n - 1), 9);
      }
    }
    expect(meanAndCovariance(Float64Array.of(0, 0, 2, 2), 2, 2).cov).toEqual(Float64Array.of(2, 2, 2, 2));
  });

  it('rejects fewer than 2 rows and a wrong length with ShapeErrors', () => {
    expect(() => meanAndCovariance(new Float64Array(3), 1, 3)).toThrow(/n >= 2/);
    expect(() => meanAndCovariance(new Float64Array(5), 2, 3)).toThrow(ShapeError);
  });
});
