import { ValueRangeError } from '@charlearn/core';

/** An axis range `[lo, hi]` in data units, `lo < hi`. */
export type Limits = readonly [number, number];

/** Row-major 2-D points `[x0, y0, x1, y1, ...]` (shape `[n, 2]` flattened). */
export type Points2D = ArrayLike<number>;

function quantileSorted(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (at - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Axis limits that ignore stragglers: the `percentile` / `100 − percentile`
 * percentiles of the finite `values`, widened by `pad` of their range on each
 * side; `[-1, 1]` without finite values; a flat range is widened by ±0.5.
 *
 * @example
 * ```ts
 * robustLimits([0, 1, 2, 3, 100], 0, 0); // [0, 100]
 * robustLimits([2, 2, 2]);               // [1.5, 2.5]
 * ```
 */
export function robustLimits(values: ArrayLike<number>, percentile = 0.5, pad = 0.1): Limits {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]!);
  if (finite.length === 0) return [-1, 1];
  const sorted = Float64Array.from(finite).sort();
  let lo = quantileSorted(sorted, percentile / 100);
  let hi = quantileSorted(sorted, 1 - percentile / 100);
  if (hi - lo < 1e-12) return [lo - 0.5, hi + 0.5];
  const p = (hi - lo) * pad;
  lo -= p;
  hi += p;
  return [lo, hi];
}

/**
 * Widens the narrower of two ranges about its centre so that one data unit
 * spans as many pixels on x (`width` px) as on y (`height` px).
 *
 * @example
 * ```ts
 * equalAspect([0, 2], [0, 1], 100, 100); // { xlim: [0, 2], ylim: [-0.5, 1.5] }
 * ```
 */
export function equalAspect(xlim: Limits, ylim: Limits, width: number, height: number): { xlim: Limits; ylim: Limits } {
  const perX = (xlim[1] - xlim[0]) / width;
  const perY = (ylim[1] - ylim[0]) / height;
  const widen = (l: Limits, span: number): Limits => {
    const c = (l[0] + l[1]) / 2;
    return [c - span / 2, c + span / 2];
  };
  return perX > perY ? { xlim, ylim: widen(ylim, perX * height) } : { xlim: widen(xlim, perY * width), ylim };
}

/**
 * Checks explicit limits: two finite numbers with `lo < hi`.
 *
 * @throws ValueRangeError naming `name` otherwise
 * @example
 * ```ts
 * checkLimits([0, 1], 'xlim'); // [0, 1]
 * ```
 */
export function checkLimits(limits: Limits, name: string): Limits {
  const [lo, hi] = limits;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new ValueRangeError(`${name} must be two finite numbers [lo, hi] with lo < hi, got [${String(lo)}, ${String(hi)}]`, name);
  }
  return limits;
}
