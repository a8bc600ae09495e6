import { describe, expect, it } from 'vitest';
import { CharlearnError, TypeMismatchError, ValueRangeError, assertTimeGrid, timeGrid, type TimeGridOptions } from './index';

function expectError(f: () => unknown, Err: typeof CharlearnError, parameter: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${Err.name} for '${parameter}'`).toBeInstanceOf(Err);
  expect((err as CharlearnError).parameter).toBe(parameter);
  expect((err as CharlearnError).message).toContain(parameter);
}

function diffs(g: number[]): number[] {
  return g.slice(1).map((v, i) => v - g[i]!);
}

describe('timeGrid', () => {
  const configs: TimeGridOptions[] = [
    { steps: 1 },
    { steps: 4 },
    { steps: 37, eps0: 0.01, eps1: 0.02 },
    { steps: 10, spacing: 'karras' },
    { steps: 50, spacing: 'karras', rho: 3, eps0: 1e-3, eps1: 1e-5 },
    { steps: 8, spacing: 'karras', rho: 0.5 },
    { steps: 5, eps1: 0 },
    { steps: 5, spacing: 'karras', eps1: 0 },
  ];

  it.each(configs.map((c) => [JSON.stringify(c), c] as const))('%s: steps+1 points from eps0 to 1 − eps1, strictly increasing', (_n, c) => {
    const g = timeGrid(c);
    expect(g).toHaveLength(c.steps + 1);
    expect(g[0]).toBe(c.eps0 ?? 0);
    expect(g[c.steps]).toBe(1 - (c.eps1 ?? 1e-3));
    for (const d of diffs(g)) expect(d).toBeGreaterThan(0);
    expect(() => assertTimeGrid('grid', g)).not.toThrow();
  });

  it('uniform spacing has equal steps (t1 − t0)/steps', () => {
    const g = timeGrid({ steps: 20, eps0: 0.05, eps1: 0.01 });
    for (const d of diffs(g)) expect(d).toBeCloseTo(0.94 / 20, 12);
    expect(timeGrid({ steps: 4 })).toEqual([0, 0.24975, 0.4995, 0.74925, 0.999].map((v) => expect.closeTo(v, 12)));
  });

  it('karras spacing with ρ > 1 has steps shrinking towards the data end t = 1', () => {
    for (const rho of [2, 3, 7]) {
      const d = diffs(timeGrid({ steps: 12, spacing: 'karras', rho }));
      for (let i = 1; i < d.length; i++) expect(d[i]!).toBeLessThan(d[i - 1]!);
      expect(d[0]! / d[d.length - 1]!).toBeGreaterThan(5);
    }
  });

  it('karras follows the ρ-rule on τ = 1 − t', () => {
    const [rho, eps0, eps1, N] = [7, 0.02, 1e-3, 6];
    const g = timeGrid({ steps: N, spacing: 'karras', rho, eps0, eps1 });
    const a = (1 - eps0) ** (1 / rho);
    const b = eps1 ** (1 / rho);
    g.forEach((t, i) => expect(1 - t).toBeCloseTo((a + (i / N) * (b - a)) ** rho, 12));
  });

  it('karras with ρ = 1 is uniform', () => {
    const g = timeGrid({ steps: 9, spacing: 'karras', rho: 1, eps0: 0.1, eps1: 0.1 });
    const u = timeGrid({ steps: 9, eps0: 0.1, eps1: 0.1 });
    g.forEach((t, i) => expect(t).toBeCloseTo(u[i]!, 12));
  });

  it('rejects bad steps with the parameter name', () => {
    for (const s of [0, -1, 1.5, Number.NaN, Infinity]) expectError(() => timeGrid({ steps: s }), ValueRangeError, 'steps');
    expectError(() => timeGrid({ steps: '3' as unknown as number }), TypeMismatchError, 'steps');
    expectError(() => timeGrid({} as TimeGridOptions), TypeMismatchError, 'steps');
  });

  it('rejects bad eps0 / eps1 / rho / spacing / options', () => {
    expectError(() => timeGrid({ steps: 4, eps0: 0.5, eps1: 0.5 }), ValueRangeError, 'eps0');
    expectError(() => timeGrid({ steps: 4, eps0: 0.7, eps1: 0.4 }), ValueRangeError, 'eps0');
    expectError(() => timeGrid({ steps: 4, eps0: -0.1 }), ValueRangeError, 'eps0');
    expectError(() => timeGrid({ steps: 4, eps0: 1 }), ValueRangeError, 'eps0');
    expectError(() => timeGrid({ steps: 4, eps1: 1 }), ValueRangeError, 'eps1');
    expectError(() => timeGrid({ steps: 4, eps1: -1e-3 }), ValueRangeError, 'eps1');
    expectError(() => timeGrid({ steps: 4, eps1: '0' as unknown as number }), TypeMismatchError, 'eps1');
    expectError(() => timeGrid({ steps: 4, spacing: 'karras', rho: 0 }), ValueRangeError, 'rho');
    expectError(() => timeGrid({ steps: 4, spacing: 'karras', rho: -2 }), ValueRangeError, 'rho');
    expectError(() => timeGrid({ steps: 4, spacing: 'cosine' as 'uniform' }), ValueRangeError, 'spacing');
    expectError(() => timeGrid(null as unknown as TimeGridOptions), ValueRangeError, 'options');
    expectError(() => timeGrid(5 as unknown as TimeGridOptions), ValueRangeError, 'options');
  });
});

describe('assertTimeGrid', () => {
  it('accepts strictly monotone grids in [0, 1] (either direction, typed arrays too)', () => {
    expect(() => assertTimeGrid('grid', [0, 1])).not.toThrow();
    expect(() => assertTimeGrid('grid', [0.9, 0.5, 0.1])).not.toThrow();
    expect(() => assertTimeGrid('grid', new Float64Array([0, 0.3, 0.6]))).not.toThrow();
    expect(() => assertTimeGrid('grid', new Float32Array([0.1, 0.2]))).not.toThrow();
  });

  it('rejects non-monotone, repeated, out-of-range, non-finite and too short grids', () => {
    expectError(() => assertTimeGrid('grid', [0, 0.5, 0.4, 0.9]), ValueRangeError, 'grid');
    expectError(() => assertTimeGrid('grid', [0.9, 0.5, 0.6]), ValueRangeError, 'grid');
    expectError(() => assertTimeGrid('grid', [0, 0.5, 0.5, 0.9]), ValueRangeError, 'grid');
    expectError(() => assertTimeGrid('grid', [0.3, 0.3]), ValueRangeError, 'grid');
    expectError(() => assertTimeGrid('grid', [0.5]), ValueRangeError, 'grid');
    expectError(() => assertTimeGrid('grid', []), ValueRangeError, 'grid');
    expectError(() => assertTimeGrid('times', [0, 1.2]), ValueRangeError, 'times[1]');
    expectError(() => assertTimeGrid('times', [-0.1, 0.5]), ValueRangeError, 'times[0]');
    expectError(() => assertTimeGrid('times', [0, Number.NaN, 1]), ValueRangeError, 'times[1]');
    expectError(() => assertTimeGrid('times', [0, '0.5']), TypeMismatchError, 'times[1]');
    expectError(() => assertTimeGrid('grid', 'not a grid'), ValueRangeError, 'grid');
    expectError(() => assertTimeGrid('grid', { length: 2, 0: 0, 1: 1 }), ValueRangeError, 'grid');
  });
});
