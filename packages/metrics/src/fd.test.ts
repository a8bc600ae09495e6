import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng, ShapeError, TypeMismatchError } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureStats, frechetDistance, frechetDistanceFromStats } from './fd';
import { symmetricEigen, type GaussianStats } from './linalg';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** n rows of x = μ + L z with z ~ N(0, I), flat [n, d]. */
function correlated(n: number, d: number, rng: Rng, shift = 0, mix = 0.5): Float64Array {
  const out = new Float64Array(n * d);
  const l = Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : mix * rng.normal()));
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: d }, () => rng.normal());
    for (let a = 0; a < d; a++) {
      let s = shift;
      for (let b = 0; b < d; b++) s += l[a * d + b]! * z[b]!;
      out[i * d + a] = s;
    }
  }
  return out;
}

/** A random orthogonal [d, d] matrix: the eigenvectors of a random symmetric matrix. */
function randomOrthogonal(d: number, rng: Rng): Float64Array {
  const s = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) s[i * d + j] = s[j * d + i] = rng.normal();
  return symmetricEigen(s, d).vectors;
}

function rotateRows(x: Float64Array, q: Float64Array, d: number): Float64Array {
  const n = x.length / d;
  const out = new Float64Array(x.length);
  for (let i = 0; i < n; i++) for (let b = 0; b < d; b++) {
    let s = 0;
    for (let a = 0; a < d; a++) s += x[i * d + a]! * q[a * d + b]!;
    out[i * d + b] = s;
  }
  return out;
}

const stats = (mean: number[], cov: number[]): GaussianStats => ({ n: 100, d: mean.length, mean: Float64Array.from(mean), cov: Float64Array.from(cov) });

describe('frechetDistance: analytic answers', () => {
  it('1-D: equals (μ1 − μ2)² + (σ1 − σ2)² with the unbiased sample σ', () => {
    const rng = new Rng(1);
    const a = Float64Array.from({ length: 50 }, () => 1 + 2 * rng.normal());
    const b = Float64Array.from({ length: 70 }, () => -0.5 + 0.3 * rng.normal());
    const moments = (x: Float64Array): [number, number] => {
      const m = x.reduce((s, v) => s + v, 0) / x.length;
      return [m, Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1))];
    };
    const [ma, sa] = moments(a);
    const [mb, sb] = moments(b);
    expect(frechetDistance(a, b, { dim: 1 })).toBeCloseTo((ma - mb) ** 2 + (sa - sb) ** 2, 11);
  });

  it('diagonal covariances: ‖Δμ‖² + Σ (σ1k − σ2k)²', () => {
    const s1 = [1, 4, 0.25, 9];
    const s2 = [2, 1, 0.25, 0];
    const cov = (v: number[]): number[] => v.flatMap((x, i) => v.map((_, j) => (i === j ? x : 0)));
    const fd = frechetDistanceFromStats(stats([0, 1, 0, 0], cov(s1)), stats([1, 0, 0, 2], cov(s2)));
    const expected = 1 + 1 + 4 + s1.reduce((s, x, i) => s + (Math.sqrt(x) - Math.sqrt(s2[i]!)) ** 2, 0);
    expect(fd).toBeCloseTo(expected, 12);
  });

  it('commuting covariances Q D1 Qᵀ, Q D2 Qᵀ: Σ (√d1 − √d2)²', () => {
    const d = 6;
    const rng = new Rng(2);
    const q = randomOrthogonal(d, rng);
    const d1 = Array.from({ length: d }, () => 0.1 + 3 * rng.uniform());
    const d2 = Array.from({ length: d }, () => 0.1 + 3 * rng.uniform());
    const build = (dv: number[]): number[] =>
      Array.from({ length: d * d }, (_, k) => {
        const [i, j] = [Math.floor(k / d), k % d];
        return dv.reduce((s, l, m) => s + q[i * d + m]! * l * q[j * d + m]!, 0);
      });
    const zero = new Array<number>(d).fill(0);
    const fd = frechetDistanceFromStats(stats(zero, build(d1)), stats(zero, build(d2)));
    expect(fd).toBeCloseTo(d1.reduce((s, l, m) => s + (Math.sqrt(l) - Math.sqrt(d2[m]!)) ** 2, 0), 11);
  });

  it('non-commuting 2×2: tr √(Σ1^½Σ2Σ1^½) = √(tr Σ1Σ2 + 2√(det Σ1 det Σ2))', () => {
    const [a, b] = [[2, 0.9, 0.9, 1], [0.5, -0.3, -0.3, 3]];
    const trProd = a[0]! * b[0]! + a[1]! * b[2]! + a[2]! * b[1]! + a[3]! * b[3]!;
    const det = (m: number[]): number => m[0]! * m[3]! - m[1]! * m[2]!;
    const expected = 3 + 3.5 - 2 * Math.sqrt(trProd + 2 * Math.sqrt(det(a) * det(b)));
    expect(frechetDistanceFromStats(stats([0, 0], a), stats([0, 0], b))).toBeCloseTo(expected, 12);
  });
});

describe('frechetDistance: invariances', () => {
  const d = 16;
  const rng = new Rng(3);
  const x = correlated(200, d, rng);
  const y = correlated(150, d, rng, 0.3, 0.8);

  it('is 0 for identical sets and symmetric in its arguments', () => {
    expect(frechetDistance(x, x, { dim: d })).toBeLessThan(1e-9);
    const ab = frechetDistance(x, y, { dim: d });
    expect(ab).toBeGreaterThan(0.5);
    expect(frechetDistance(y, x, { dim: d })).toBeCloseTo(ab, 9);
  });

  it('is invariant under a common rotation and shift of both sets', () => {
    const q = randomOrthogonal(d, new Rng(4));
    const ab = frechetDistance(x, y, { dim: d });
    const rx = rotateRows(x, q, d).map((v) => v + 5);
    const ry = rotateRows(y, q, d).map((v) => v + 5);
    expect(frechetDistance(rx, ry, { dim: d })).toBeCloseTo(ab, 8);
  });

  it('is positive for random pairs and grows with a mean shift like ‖Δμ‖²', () => {
    const r = new Rng(6);
    for (let t = 0; t < 5; t++) {
      const a = correlated(60, 8, r, r.normal(), r.uniform());
      const b = correlated(60, 8, r, r.normal(), r.uniform());
      expect(frechetDistance(a, b, { dim: 8 })).toBeGreaterThan(0);
    }
    const base = frechetDistance(x, x.map((v) => v + 1), { dim: d });
    expect(base).toBeCloseTo(d, 8); // shift by 1 in each of d coordinates
  });

  it('handles singular covariances (n < d) and stays finite and ≥ 0', () => {
    const r = new Rng(7);
    const a = correlated(10, 32, r);
    const b = correlated(12, 32, r);
    const fd = frechetDistance(a, b, { dim: 32 });
    expect(Number.isFinite(fd)).toBe(true);
    expect(fd).toBeGreaterThan(0);
    expect(frechetDistance(a, a, { dim: 32 })).toBeLessThan(1e-6);
  });

  it('accepts Tensor2D and number[][] inputs with the same result as flat arrays', () => {
    const small = correlated(20, 3, new Rng(8));
    const other = correlated(25, 3, new Rng(9), 1);
    const flat = frechetDistance(small, other, { dim: 3 });
    const rows = (v: Float64Array): number[][] => Array.from({ length: v.length / 3 }, (_, i) => Array.from(v.subarray(3 * i, 3 * i + 3)));
    expect(frechetDistance(rows(small), rows(other))).toBeCloseTo(flat, 12);
    const [ta, tb] = [tf.tensor2d(Float32Array.from(small), [20, 3]), tf.tensor2d(Float32Array.from(other), [25, 3])];
    expect(frechetDistance(ta, tb)).toBeCloseTo(flat, 5); // float32 tensors
    tf.dispose([ta, tb]);
  });

  it('computes at d = 128 from cached stats in well under a second', () => {
    const a = featureStats(correlated(300, 128, new Rng(10)), { dim: 128 });
    const b = featureStats(correlated(300, 128, new Rng(11), 0.1), { dim: 128 });
    const t0 = performance.now();
    const fd = frechetDistanceFromStats(a, b);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(fd).toBeGreaterThan(0);
  });
});

describe('frechetDistance: bad input', () => {
  it('names the parameter and what was expected', () => {
    expect(() => frechetDistance(new Float64Array(8), new Float64Array(8))).toThrow(/options.dim/);
    expect(() => frechetDistance([[1, 2]], [[1, 2], [3, 4]])).toThrow(/a must hold at least 2 feature rows/);
    expect(() => frechetDistance([[1, 2], [0, 0]], [[1, 2, 3], [3, 4, 5]])).toThrow(ShapeError);
    expect(() => frechetDistance([[1, 2], [0, 0]], 'x' as never)).toThrow(TypeMismatchError);
    expect(() => frechetDistanceFromStats({ d: 2 } as never, stats([0, 0], [1, 0, 0, 1]))).toThrow(TypeMismatchError);
    expect(() => frechetDistanceFromStats(stats([0, 0], [1, 0, 0]), stats([0, 0], [1, 0, 0, 1]))).toThrow(/a.mean must be \[d\]/);
    expect(() => frechetDistance([[1, NaN], [0, 0]], [[1, 2], [0, 0]])).toThrow(/finite/);
  });
});
