import { NonFiniteError, Rng, ShapeError, ValueRangeError } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { medianHeuristic, mmdRbf } from './index';
import { gaussianPoints } from './test-utils';

/** Population MMD² between N(0, s²I) and N(μ, s²I) in d dims with bandwidth h. */
function gaussianMmd2(s: number, mu: number, h: number, d: number): number {
  const c = (h * h / (h * h + 2 * s * s)) ** (d / 2);
  return 2 * c * (1 - Math.exp(-(mu * mu) / (2 * (h * h + 2 * s * s))));
}

/** Straightforward double-loop U/V statistics, for comparison. */
function naive(a: Float64Array, b: Float64Array, h: number, biased: boolean): number {
  const n = a.length / 2;
  const m = b.length / 2;
  const k = (p: Float64Array, i: number, q: Float64Array, j: number): number =>
    Math.exp(-((p[2 * i]! - q[2 * j]!) ** 2 + (p[2 * i + 1]! - q[2 * j + 1]!) ** 2) / (2 * h * h));
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (biased || i !== j) xx += k(a, i, a, j);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (biased || i !== j) yy += k(b, i, b, j);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) xy += k(a, i, b, j);
  return biased ? xx / (n * n) + yy / (m * m) - (2 * xy) / (n * m) : xx / (n * (n - 1)) + yy / (m * (m - 1)) - (2 * xy) / (n * m);
}

describe('mmdRbf', () => {
  it('matches the double-loop U- and V-statistics', () => {
    const rng = new Rng(1);
    const a = gaussianPoints(7, rng);
    const b = gaussianPoints(9, rng, { shift: [0.5, 0] });
    for (const biased of [false, true]) expect(mmdRbf(a, b, { bandwidth: 0.8, biased })).toBeCloseTo(naive(a, b, 0.8, biased), 13);
    expect(mmdRbf(a, b, { biased: true })).toBeGreaterThan(mmdRbf(a, b));
  });

  it('several bandwidths give the mean of the single-bandwidth values', () => {
    const rng = new Rng(2);
    const a = gaussianPoints(40, rng);
    const b = gaussianPoints(30, rng, { scale: 2 });
    const hs = [0.2, 1, 3];
    const mean = hs.reduce((s, h) => s + mmdRbf(a, b, { bandwidth: h }), 0) / hs.length;
    expect(mmdRbf(a, b, { bandwidth: hs })).toBeCloseTo(mean, 14);
  });

  it('is unbiased: ≈ 0 for the same law, ≈ the analytic value for shifted Gaussians', () => {
    const rng = new Rng(3);
    const reps = 30;
    const n = 200;
    const h = 1;
    const stats = (mu: number): { mean: number; se: number; values: number[] } => {
      const values = Array.from({ length: reps }, () =>
        mmdRbf(gaussianPoints(n, rng), gaussianPoints(n, rng, { shift: [mu, 0] }), { bandwidth: h }),
      );
      const mean = values.reduce((s, v) => s + v, 0) / reps;
      const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (reps - 1));
      return { mean, se: sd / Math.sqrt(reps), values };
    };
    const same = stats(0);
    expect(Math.abs(same.mean)).toBeLessThan(4 * same.se);
    expect(same.values.some((v) => v < 0)).toBe(true); // an unbiased estimate of 0 goes negative
    const shifted = stats(0.5);
    expect(Math.abs(shifted.mean - gaussianMmd2(1, 0.5, h, 2))).toBeLessThan(4 * shifted.se);
    expect(Math.min(...shifted.values)).toBeGreaterThan(Math.max(...same.values));
  });

  it('uses the median heuristic by default', () => {
    const rng = new Rng(4);
    const a = gaussianPoints(30, rng);
    const b = gaussianPoints(40, rng, { shift: [1, 1] });
    const pooled = [...Array.from({ length: 30 }, (_, i) => [a[2 * i]!, a[2 * i + 1]!]), ...Array.from({ length: 40 }, (_, i) => [b[2 * i]!, b[2 * i + 1]!])];
    const d: number[] = [];
    for (let i = 0; i < 70; i++) for (let j = i + 1; j < 70; j++) d.push(Math.hypot(pooled[i]![0]! - pooled[j]![0]!, pooled[i]![1]! - pooled[j]![1]!));
    d.sort((x, y) => x - y);
    const median = (d[d.length / 2 - 1]! + d[d.length / 2]!) / 2; // 2415 pairs: odd count handled below
    const want = d.length % 2 ? d[(d.length - 1) / 2]! : median;
    expect(medianHeuristic(a, b)).toBeCloseTo(want, 14);
    expect(mmdRbf(a, b)).toBeCloseTo(mmdRbf(a, b, { bandwidth: want }), 14);
    expect(medianHeuristic(new Float64Array(4), new Float64Array(4))).toBe(1);
  });

  it('validates its inputs and options', () => {
    const rng = new Rng(5);
    const a = gaussianPoints(5, rng);
    expect(() => mmdRbf(a, a, { bandwidth: 0 })).toThrow(ValueRangeError);
    expect(() => mmdRbf(a, a, { bandwidth: [1, -1] })).toThrow(/options.bandwidth\[1\]/);
    expect(() => mmdRbf(a, a, { bandwidth: [] })).toThrow(/non-empty/);
    expect(() => mmdRbf(Float64Array.of(0, 0), a)).toThrow(ShapeError);
    expect(mmdRbf(Float64Array.of(0, 0), a, { biased: true })).toBeGreaterThan(0);
    expect(() => mmdRbf(a, gaussianPoints(5, rng, { dim: 3 }), { dim: 3 })).toThrow(ShapeError);
    const bad = Float64Array.from(a);
    bad[3] = Number.NaN;
    expect(() => mmdRbf(a, bad)).toThrow(NonFiniteError);
  });
});
