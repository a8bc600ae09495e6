import { NonFiniteError, Rng, ShapeError, ValueRangeError } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { exactW2, sinkhornW2 } from './index';
import { gaussianPoints, ringPoints } from './test-utils';

describe('sinkhornW2', () => {
  it('its transport cost decreases to the exact OT cost as epsilon shrinks (n = m = 12)', () => {
    const rng = new Rng(1);
    for (let trial = 0; trial < 3; trial++) {
      const a = gaussianPoints(12, rng);
      const b = gaussianPoints(12, rng, { shift: [1, 0] });
      const exact = exactW2(a, b) ** 2;
      const costs = [1, 0.1, 0.01, 0.001].map((epsilon) => {
        const r = sinkhornW2(a, b, { epsilon, tol: 1e-5, maxIter: 200_000 });
        expect(r.converged).toBe(true);
        expect(r.marginalError).toBeLessThan(1e-4);
        return r.cost;
      });
      for (let k = 0; k < costs.length; k++) {
        expect(costs[k]!).toBeGreaterThan(exact - 1e-3); // a (nearly) feasible plan costs at least the optimum
        if (k > 0) expect(costs[k]!).toBeLessThan(costs[k - 1]! + 1e-3);
      }
      expect(Math.abs(costs[3]! - exact)).toBeLessThan(2e-3 * exact + 1e-4);
      expect(Math.abs(costs[0]! - exact)).toBeGreaterThan(Math.abs(costs[3]! - exact));
    }
  });

  it('handles unequal sizes: a against b of twice the size equals the assignment of a repeated twice', () => {
    const rng = new Rng(2);
    const a = gaussianPoints(6, rng);
    const b = gaussianPoints(12, rng, { scale: 1.5 });
    const doubled = new Float64Array(24);
    doubled.set(a, 0);
    doubled.set(a, 12);
    const exact = exactW2(doubled, b);
    const r = sinkhornW2(a, b, { epsilon: 1e-3, tol: 1e-5, maxIter: 200_000 });
    expect(r.converged).toBe(true);
    expect(r.w2).toBeGreaterThan(exact - 1e-6);
    expect(Math.abs(r.w2 - exact)).toBeLessThan(2e-3 * exact);
    expect(r.w2).toBeCloseTo(Math.sqrt(r.cost), 14);
  });

  it('stays close to the exact W2 on larger samples at the default epsilon (n = 400)', () => {
    const rng = new Rng(3);
    const a = ringPoints(400, rng);
    const b = ringPoints(400, rng);
    const exact = exactW2(a, b);
    const r = sinkhornW2(a, b);
    expect(r.converged).toBe(true);
    expect(r.marginalError).toBeLessThan(1e-3);
    expect(r.epsilon).toBe(0.01);
    // entropic blur √ε = 0.1 inflates the cost by at most about ε·dim
    expect(r.cost).toBeGreaterThan(exact ** 2 - 1e-3);
    expect(r.cost).toBeLessThan(exact ** 2 + 2 * 0.01);
  });

  it('plain Sinkhorn (no annealing, no over-relaxation) reaches the same plan', () => {
    const rng = new Rng(4);
    const a = gaussianPoints(60, rng);
    const b = gaussianPoints(80, rng, { shift: [0.3, 0.3] });
    const fast = sinkhornW2(a, b, { epsilon: 0.05, tol: 1e-8, maxIter: 100_000 });
    const plain = sinkhornW2(a, b, { epsilon: 0.05, tol: 1e-8, maxIter: 100_000, epsilonScaling: 1, overRelaxation: 1 });
    expect(plain.converged && fast.converged).toBe(true);
    expect(fast.cost).toBeCloseTo(plain.cost, 6);
  });

  it('the 2-D grid that skips far cells gives the same answer as the dense sums', () => {
    const rng = new Rng(7);
    const a = gaussianPoints(300, rng);
    const b = gaussianPoints(250, rng, { scale: 1.2, shift: [0.2, 0] });
    // the same points with a zero third coordinate take the dense path
    const lift = (p: Float64Array): Float64Array => Float64Array.from({ length: (p.length / 2) * 3 }, (_, k) => (k % 3 === 2 ? 0 : p[(k - (k % 3)) / 3 * 2 + (k % 3)]!));
    const grid = sinkhornW2(a, b, { epsilon: 0.005 });
    const dense = sinkhornW2(lift(a), lift(b), { epsilon: 0.005, dim: 3 });
    expect(grid.converged).toBe(true);
    expect(grid.iterations).toBe(dense.iterations);
    expect(grid.cost).toBeCloseTo(dense.cost, 10);
    expect(grid.marginalError).toBeCloseTo(dense.marginalError, 10);
  });

  it('stops at maxIter and says it did not converge', () => {
    const rng = new Rng(5);
    const r = sinkhornW2(gaussianPoints(30, rng), gaussianPoints(30, rng, { shift: [2, 0] }), { maxIter: 3, epsilon: 1e-3 });
    expect(r.iterations).toBe(3);
    expect(r.converged).toBe(false);
    expect(Number.isFinite(r.cost)).toBe(true);
  });

  it('validates its inputs and options', () => {
    const rng = new Rng(6);
    const a = gaussianPoints(5, rng);
    expect(() => sinkhornW2(a, a, { epsilon: 0 })).toThrow(ValueRangeError);
    expect(() => sinkhornW2(a, a, { overRelaxation: 2 })).toThrow(/options.overRelaxation/);
    expect(() => sinkhornW2(a, a, { maxIter: 0.5 })).toThrow(/options.maxIter/);
    expect(() => sinkhornW2(a, gaussianPoints(5, rng, { dim: 3 }), { dim: 2 })).toThrow(ShapeError);
    const bad = Float64Array.from(a);
    bad[0] = Number.POSITIVE_INFINITY;
    expect(() => sinkhornW2(bad, a)).toThrow(NonFiniteError);
  });
});
