import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteError, Rng, ShapeError, ValueRangeError } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { exactW2, exactW2Plan, optimalMatching, solveAssignment, toPoints, w2WithFloor } from './index';
import { bruteForceAssignment, costMatrix, dualCheck, gaussianPoints, ringPoints } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function caught(f: () => unknown): Error & { parameter?: string } {
  try {
    f();
  } catch (e) {
    return e as Error & { parameter?: string };
  }
  throw new Error('expected a throw');
}

describe('exactW2', () => {
  it('equals sqrt(min over all permutations of the mean squared distance) for n ≤ 7', () => {
    const rng = new Rng(1);
    for (let n = 1; n <= 7; n++) {
      for (let trial = 0; trial < 8; trial++) {
        const dim = 1 + (trial % 3);
        const a = gaussianPoints(n, rng, { dim });
        // some trials with duplicated points (exact ties)
        const b = trial % 4 === 3 ? a.map((v, k) => a[(k + dim) % a.length]!) : gaussianPoints(n, rng, { dim, shift: [0.5] });
        const want = Math.sqrt(bruteForceAssignment(costMatrix(a, b, dim), n) / n);
        expect(exactW2(a, b, { dim })).toBeCloseTo(want, 12);
      }
    }
  });

  it('in 1-D: the sorted matching (the closed form) agrees with the dense and sparse solvers and is certified', () => {
    const rng = new Rng(2);
    const n = 600;
    const cases = [
      [gaussianPoints(n, rng, { dim: 1 }), gaussianPoints(n, rng, { dim: 1, scale: 2, shift: [1] })],
      [ringPoints(n / 2, rng), gaussianPoints(n, rng, { dim: 1 })], // a clustered 1-D set (a flattened ring)
    ] as const;
    for (const [a, b] of cases) {
      const sa = Float64Array.from(a).sort();
      const sb = Float64Array.from(b).sort();
      let s = 0;
      for (let i = 0; i < n; i++) s += (sa[i]! - sb[i]!) ** 2;
      const plan = exactW2Plan(a, b, { dim: 1 });
      expect(plan.w2).toBeCloseTo(Math.sqrt(s / n), 12);
      const C = costMatrix(a, b, 1);
      expect(solveAssignment(C, n).totalCost).toBeCloseTo(s, 9);
      expect(optimalMatching(toPoints('a', a, 1), toPoints('b', b, 1)).totalCost).toBeCloseTo(s, 9);
      const { violation, slack } = dualCheck((i, j) => C[i * n + j]!, n, plan.assignment);
      expect(violation).toBeLessThan(1e-9);
      expect(slack).toBeLessThan(1e-9);
    }
  });

  it('sparse solver agrees with the dense LAPJV on 2-D sets of several shapes (n = 300)', () => {
    const rng = new Rng(3);
    const n = 300;
    const cases = [
      [gaussianPoints(n, rng), gaussianPoints(n, rng)],
      [gaussianPoints(n, rng), gaussianPoints(n, rng, { scale: 1.3, shift: [0.8, -0.4] })],
      [ringPoints(n, rng), ringPoints(n, rng)],
      [ringPoints(n, rng), gaussianPoints(n, rng, { scale: 0.3 })],
    ];
    for (const [a, b] of cases) {
      const dense = solveAssignment(costMatrix(a!, b!, 2), n);
      const plan = exactW2Plan(a!, b!);
      expect(plan.cost * n).toBeCloseTo(dense.totalCost, 9);
    }
  });

  it('certifies optimality at n = 2000: dual-feasible on all pairs and tight on the matching', () => {
    const rng = new Rng(4);
    const a = ringPoints(2000, rng);
    const b = ringPoints(2000, rng);
    const plan = exactW2Plan(a, b);
    const C = (i: number, j: number): number => (a[2 * i]! - b[2 * j]!) ** 2 + (a[2 * i + 1]! - b[2 * j + 1]!) ** 2;
    const { violation, slack } = dualCheck(C, 2000, plan.assignment);
    expect(violation).toBeLessThan(1e-11);
    expect(slack).toBeLessThan(1e-11);
    // weak duality: Σu + Σv is a lower bound on every matching, and it equals our cost
    let dual = 0;
    for (let i = 0; i < 2000; i++) dual += plan.assignment.rowPotential[i]! + plan.assignment.colPotential[i]!;
    expect(Math.abs(dual - plan.cost * 2000)).toBeLessThan(1e-9 * plan.cost * 2000);
    expect(plan.stats.dense).toBe(false);
  });

  it('the sparse solver is right with a single neighbour, and falls back to the dense solver on tiny sets', () => {
    const rng = new Rng(5);
    let sawDense = false;
    for (let trial = 0; trial < 20; trial++) {
      const n = 3 + (trial % 5);
      const a = ringPoints(n, rng);
      const b = gaussianPoints(n, rng, { shift: [3, 0], scale: 0.2 });
      const r = optimalMatching(toPoints('a', a), toPoints('b', b), { neighbours: 1 });
      sawDense ||= r.stats.dense;
      expect(r.totalCost).toBeCloseTo(bruteForceAssignment(costMatrix(a, b, 2), n), 10);
    }
    expect(sawDense).toBe(true);
    const n = 400;
    const a = ringPoints(n, rng);
    const b = gaussianPoints(n, rng);
    const r = optimalMatching(toPoints('a', a), toPoints('b', b), { neighbours: 1 });
    expect(r.stats.dense).toBe(false);
    expect(r.totalCost).toBeCloseTo(solveAssignment(costMatrix(a, b, 2), n).totalCost, 9);
  });

  it('is a metric on translates: W2(a, a + c) = |c|, W2(a, a) = 0, symmetric', () => {
    const rng = new Rng(6);
    const a = gaussianPoints(500, rng);
    const shifted = a.map((v, k) => v + (k % 2 === 0 ? 0.3 : -0.4));
    expect(exactW2(a, shifted)).toBeCloseTo(0.5, 12);
    expect(exactW2(a, a)).toBe(0);
    const b = gaussianPoints(500, rng, { scale: 2 });
    expect(exactW2(a, b)).toBeCloseTo(exactW2(b, a), 12);
  });

  it('accepts Float32Array, Float64Array, Tensor2D and rows alike', () => {
    const rng = new Rng(7);
    const a = Float32Array.from(gaussianPoints(50, rng, { dim: 3 }));
    const b = Float32Array.from(gaussianPoints(50, rng, { dim: 3 }));
    const want = exactW2(a, b, { dim: 3 });
    expect(exactW2(Float64Array.from(a), Float64Array.from(b), { dim: 3 })).toBe(want);
    const ta = tf.tensor2d(a, [50, 3]);
    const tb = tf.tensor2d(b, [50, 3]);
    expect(exactW2(ta, tb)).toBe(want);
    const rows = (x: Float32Array): number[][] => Array.from({ length: 50 }, (_, i) => Array.from(x.subarray(3 * i, 3 * i + 3)));
    expect(exactW2(rows(a), rows(b))).toBe(want);
    tf.dispose([ta, tb]);
  });

  it('rejects unequal sizes, dim mismatches, NaN and empty sets, naming the parameter', () => {
    const rng = new Rng(8);
    const a = gaussianPoints(10, rng);
    const e1 = caught(() => exactW2(a, gaussianPoints(11, rng)));
    expect(e1).toBeInstanceOf(ShapeError);
    expect(e1.parameter).toBe('b');
    expect(e1.message).toMatch(/as many points as a \(10\)/);
    const t2 = tf.zeros([10, 2]) as tf.Tensor2D;
    const t3 = tf.zeros([10, 3]) as tf.Tensor2D;
    const e2 = caught(() => exactW2(t2, t3));
    expect(e2).toBeInstanceOf(ShapeError);
    expect(e2.message).toMatch(/same dim as a \(2\)/);
    expect(caught(() => exactW2(t2, t2, { dim: 3 })).message).toMatch(/dim = 3/);
    tf.dispose([t2, t3]);
    const bad = Float64Array.from(a);
    bad[7] = Number.NaN;
    const e3 = caught(() => exactW2(a, bad));
    expect(e3).toBeInstanceOf(NonFiniteError);
    expect(e3.parameter).toBe('b');
    expect(e3.message).toContain('point 3, coordinate 1');
    expect(caught(() => exactW2(new Float64Array(0), new Float64Array(0)))).toBeInstanceOf(ShapeError);
    expect(caught(() => exactW2(Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 3))).parameter).toBe('a');
    expect(caught(() => exactW2(a, a, { dim: 0 }))).toBeInstanceOf(ValueRangeError);
    expect(caught(() => exactW2(a, a, { neighbours: 0 })).parameter).toBe('options.neighbours');
    expect(caught(() => exactW2([[0, 1], [2]], [[0, 1], [2, 3]])).message).toContain('a[1]');
  });
});

describe('w2WithFloor', () => {
  it('reports W2 to the held-out set and the data-vs-data floor', () => {
    const rng = new Rng(9);
    const heldOut = ringPoints(500, rng);
    const reference = ringPoints(500, rng);
    const generated = ringPoints(500, rng).map((v) => 1.15 * v);
    const r = w2WithFloor(generated, heldOut, reference);
    expect(r.w2).toBe(exactW2(generated, heldOut));
    expect(r.floor).toBe(exactW2(reference, heldOut));
    expect(r.w2).toBeGreaterThan(r.floor);
  });
});
