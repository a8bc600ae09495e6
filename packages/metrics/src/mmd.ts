import { assertNumber, ShapeError, TypeMismatchError, typeLabel } from '@charlearn/core';
import { assertSameDim, squaredDistance, toPoints, type PointSet, type Points } from './points';

/** Options of {@link mmdRbf}. */
export interface MmdOptions {
  /** Coordinates per point for flat arrays (default 2). */
  dim?: number;
  /**
   * RBF bandwidth(s) h in `k(x, y) = exp(−‖x − y‖²/(2h²))`; several give the
   * mean of their kernels. Default: the median heuristic ({@link medianHeuristic}
   * of the pooled sample).
   */
  bandwidth?: number | readonly number[];
  /** The biased V-statistic (self-pairs included, always ≥ 0) instead of the unbiased U-statistic (default false). */
  biased?: boolean;
}

/**
 * Squared maximum mean discrepancy between samples `a` (n points) and `b`
 * (m points) with an RBF kernel. Default: the **unbiased** U-statistic
 * `1/(n(n−1)) Σ_{i≠i'} k(a_i, a_i') + 1/(m(m−1)) Σ_{j≠j'} k(b_j, b_j') − 2/(nm) Σ_ij k(a_i, b_j)`,
 * whose expectation is the population MMD² (0 when the laws agree, so it can
 * be slightly negative); `biased: true` gives the V-statistic. O((n + m)²·dim).
 *
 * @example
 * ```ts
 * mmdRbf(generated, data);                       // median-heuristic bandwidth
 * mmdRbf(generated, data, { bandwidth: [0.1, 0.5, 2] });
 * ```
 */
export function mmdRbf(a: PointSet, b: PointSet, options: MmdOptions = {}): number {
  const { dim, bandwidth, biased = false } = options;
  if (typeof biased !== 'boolean') throw new TypeMismatchError(`options.biased must be a boolean, got ${typeLabel(biased)}`, 'options.biased');
  const pa = toPoints('a', a, dim);
  const pb = toPoints('b', b, dim);
  assertSameDim(pa, pb, 'a', 'b');
  if (!biased) {
    for (const [name, p] of [['a', pa], ['b', pb]] as const) {
      if (p.n < 2) throw new ShapeError(`${name} must hold at least 2 points for the unbiased MMD, got ${p.n}; pass biased: true for one point`, name);
    }
  }
  const hs = bandwidth === undefined ? [medianHeuristicPoints(pa, pb)] : Array.isArray(bandwidth) ? bandwidth : [bandwidth];
  if (hs.length === 0) throw new TypeMismatchError('options.bandwidth must be a positive number or a non-empty array of them', 'options.bandwidth');
  hs.forEach((h, k) => assertNumber(Array.isArray(bandwidth) ? `options.bandwidth[${k}]` : 'options.bandwidth', h, { greaterThan: 0 }));
  const gammas = hs.map((h: number) => 1 / (2 * h * h));
  const kernel = (d2: number): number => {
    let s = 0;
    for (const g of gammas) s += Math.exp(-g * d2);
    return s / gammas.length;
  };
  const kaa = selfSum(pa, kernel, biased);
  const kbb = selfSum(pb, kernel, biased);
  let kab = 0;
  for (let i = 0; i < pa.n; i++) for (let j = 0; j < pb.n; j++) kab += kernel(squaredDistance(pa, i, pb, j));
  return kaa + kbb - (2 * kab) / (pa.n * pb.n);
}

/** Mean kernel value over the pairs of one sample (i ≠ i' unbiased; all pairs biased). */
function selfSum(p: Points, kernel: (d2: number) => number, biased: boolean): number {
  let s = 0;
  for (let i = 0; i < p.n; i++) for (let j = i + 1; j < p.n; j++) s += kernel(squaredDistance(p, i, p, j));
  s *= 2;
  if (biased) return (s + p.n * kernel(0)) / (p.n * p.n);
  return s / (p.n * (p.n - 1));
}

/** Most points the median heuristic looks at (an evenly strided subsample beyond that). */
const MEDIAN_POINTS = 1000;

/**
 * The median heuristic bandwidth: the median Euclidean distance between
 * distinct points of the pooled sample `a ∪ b` (over an evenly strided
 * subsample of at most 1000 points); 1 when all points coincide.
 *
 * @example
 * ```ts
 * const h = medianHeuristic(generated, data); // then mmdRbf(generated, data, { bandwidth: h })
 * ```
 */
export function medianHeuristic(a: PointSet, b: PointSet, options: { dim?: number } = {}): number {
  const pa = toPoints('a', a, options.dim);
  const pb = toPoints('b', b, options.dim);
  assertSameDim(pa, pb, 'a', 'b');
  return medianHeuristicPoints(pa, pb);
}

function medianHeuristicPoints(a: Points, b: Points): number {
  const total = a.n + b.n;
  const count = Math.min(total, MEDIAN_POINTS);
  const d = a.dim;
  const pooled = new Float64Array(count * d);
  for (let k = 0; k < count; k++) {
    const idx = Math.floor((k * total) / count);
    const [src, row] = idx < a.n ? [a, idx] : [b, idx - a.n];
    pooled.set(src.data.subarray(row * d, (row + 1) * d), k * d);
  }
  const p: Points = { data: pooled, n: count, dim: d };
  const dists = new Float64Array((count * (count - 1)) / 2);
  let t = 0;
  for (let i = 0; i < count; i++) for (let j = i + 1; j < count; j++) dists[t++] = Math.sqrt(squaredDistance(p, i, p, j));
  if (dists.length === 0) return 1;
  dists.sort();
  const mid = dists.length >> 1;
  const median = dists.length % 2 ? dists[mid]! : (dists[mid - 1]! + dists[mid]!) / 2;
  return median > 0 ? median : 1;
}
