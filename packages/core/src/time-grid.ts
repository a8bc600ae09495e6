import { ValueRangeError } from './errors';
import { assertNumber } from './validate';

/** Options of {@link timeGrid}. */
export interface TimeGridOptions {
  /** Number of solver steps; the grid has `steps + 1` points. Integer in [1, 1e6]. */
  steps: number;
  /** `'uniform'` in t, or `'karras'`: EDM-style ρ-spacing of τ = 1 − t (dense near the data end). */
  spacing?: 'uniform' | 'karras';
  /** Exponent ρ of the Karras spacing (default 7). */
  rho?: number;
  /** Early start away from the noise end: the grid starts at `eps0` (default 0). */
  eps0?: number;
  /** Early stop away from the data end: the grid ends at `1 − eps1` (default 1e-3). */
  eps1?: number;
}

/**
 * A strictly increasing time grid from `eps0` to `1 − eps1` (t = 0 noise,
 * t = 1 data), `steps + 1` points.
 *
 * Karras spacing applies EDM's ρ-rule to `τ = 1 − t`:
 * `τ_i = (τ_max^{1/ρ} + i/N·(τ_min^{1/ρ} − τ_max^{1/ρ}))^ρ`, `τ_max = 1 − eps0`,
 * `τ_min = eps1`, so steps shrink towards the data end where the flow bends most.
 *
 * @example
 * ```ts
 * timeGrid({ steps: 4 });                         // [0, 0.24975, 0.4995, 0.74925, 0.999]
 * timeGrid({ steps: 10, spacing: 'karras', rho: 7, eps1: 1e-3 });
 * ```
 */
export function timeGrid(options: TimeGridOptions): number[] {
  if (typeof options !== 'object' || options === null) {
    throw new ValueRangeError('timeGrid options must be an object like { steps: 10 }', 'options');
  }
  const { steps, spacing = 'uniform', rho = 7, eps0 = 0, eps1 = 1e-3 } = options;
  assertNumber('steps', steps, { integer: true, min: 1, max: 1_000_000 });
  assertNumber('eps0', eps0, { min: 0, lessThan: 1 });
  assertNumber('eps1', eps1, { min: 0, lessThan: 1 });
  if (!(eps0 < 1 - eps1)) throw new ValueRangeError(`eps0 must be < 1 - eps1, got eps0=${eps0}, eps1=${eps1}`, 'eps0');
  const t0 = eps0;
  const t1 = 1 - eps1;
  const grid = new Array<number>(steps + 1);
  if (spacing === 'uniform') {
    for (let i = 0; i <= steps; i++) grid[i] = t0 + ((t1 - t0) * i) / steps;
  } else if (spacing === 'karras') {
    assertNumber('rho', rho, { greaterThan: 0 });
    const a = Math.pow(1 - eps0, 1 / rho);
    const b = Math.pow(eps1, 1 / rho);
    for (let i = 0; i <= steps; i++) grid[i] = 1 - Math.pow(a + (i / steps) * (b - a), rho);
  } else {
    throw new ValueRangeError(`spacing must be 'uniform' or 'karras', got '${String(spacing)}'`, 'spacing');
  }
  grid[0] = t0;
  grid[steps] = t1;
  return grid;
}

/**
 * Checks a user-supplied time grid: at least 2 finite points, strictly
 * monotone, inside `[0, 1]`.
 */
export function assertTimeGrid(parameter: string, grid: unknown): asserts grid is readonly number[] {
  if (!Array.isArray(grid) && !(grid instanceof Float64Array) && !(grid instanceof Float32Array)) {
    throw new ValueRangeError(`${parameter} must be an array of times in [0, 1] with at least 2 points`, parameter);
  }
  const g = Array.from(grid as ArrayLike<number>);
  if (g.length < 2) throw new ValueRangeError(`${parameter} must have at least 2 points, got ${g.length}`, parameter);
  g.forEach((t, i) => assertNumber(`${parameter}[${i}]`, t, { min: 0, max: 1 }));
  const dir = Math.sign(g[1]! - g[0]!);
  if (dir === 0) throw new ValueRangeError(`${parameter} must be strictly monotone; points 0 and 1 are equal`, parameter);
  for (let i = 1; i < g.length; i++) {
    if (Math.sign(g[i]! - g[i - 1]!) !== dir) {
      throw new ValueRangeError(`${parameter} must be strictly monotone; it turns or repeats at index ${i}`, parameter);
    }
  }
}
