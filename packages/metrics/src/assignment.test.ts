import { NonFiniteError, Rng, ShapeError, TypeMismatchError, ValueRangeError } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { solveAssignment } from './index';
import { bruteForceAssignment, dualCheck, hungarian } from './test-utils';

function randomCost(n: number, rng: Rng, kind: 'uniform' | 'integer' | 'signed'): Float64Array {
  const c = new Float64Array(n * n);
  for (let k = 0; k < c.length; k++) {
    const u = rng.uniform();
    c[k] = kind === 'uniform' ? u : kind === 'integer' ? Math.floor(4 * u) : 20 * u - 10;
  }
  return c;
}

function isPermutation(p: Int32Array): boolean {
  return [...p].sort((x, y) => x - y).every((v, i) => v === i);
}

describe('solveAssignment (dense LAPJV)', () => {
  it('matches brute force over all permutations for n ≤ 7 (ties and negative costs included)', () => {
    const rng = new Rng(1);
    for (let n = 1; n <= 7; n++) {
      for (const kind of ['uniform', 'integer', 'signed'] as const) {
        for (let trial = 0; trial < 6; trial++) {
          const c = randomCost(n, rng, kind);
          const r = solveAssignment(c, n);
          expect(isPermutation(r.rowToCol)).toBe(true);
          r.rowToCol.forEach((j, i) => expect(r.colToRow[j]).toBe(i));
          expect(r.totalCost).toBeCloseTo(bruteForceAssignment(c, n), 10);
        }
      }
    }
  });

  it('agrees with an independent Hungarian method and carries a dual certificate (n = 150)', () => {
    const rng = new Rng(2);
    for (const kind of ['uniform', 'integer', 'signed'] as const) {
      const n = 150;
      const c = randomCost(n, rng, kind);
      const r = solveAssignment(c, n);
      expect(r.totalCost).toBeCloseTo(hungarian(c, n), 8);
      const { violation, slack } = dualCheck((i, j) => c[i * n + j]!, n, r);
      expect(violation).toBeLessThan(1e-9);
      expect(slack).toBeLessThan(1e-9);
    }
  });

  it('validates its inputs before solving', () => {
    expect(() => solveAssignment([1, 2, 3, 4] as unknown as Float64Array, 2)).toThrow(TypeMismatchError);
    expect(() => solveAssignment(new Float64Array(3), 2)).toThrow(ShapeError);
    expect(() => solveAssignment(new Float64Array(4), 0)).toThrow(ValueRangeError);
    const e = (() => {
      try {
        solveAssignment(Float64Array.of(0, 1, Number.NaN, 2), 2);
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(NonFiniteError);
    expect(e!.message).toContain('row 1, column 0');
  });
});
