import { Rng } from '@charlearn/core';

/** `n` points of N(shift, scale² I) in `dim` dimensions, flat float64. Test helper. */
export function gaussianPoints(n: number, rng: Rng, options: { dim?: number; scale?: number; shift?: readonly number[] } = {}): Float64Array {
  const { dim = 2, scale = 1, shift = [] } = options;
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) out[i * dim + k] = (shift[k] ?? 0) + scale * rng.normal();
  return out;
}

/** `n` points from 8 Gaussians of std 0.07 on a ring of radius 1.4, flat float64. Test helper. */
export function ringPoints(n: number, rng: Rng): Float64Array {
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(8 * rng.uniform());
    out[2 * i] = 1.4 * Math.cos((k * Math.PI) / 4) + 0.07 * rng.normal();
    out[2 * i + 1] = 1.4 * Math.sin((k * Math.PI) / 4) + 0.07 * rng.normal();
  }
  return out;
}

/** All permutations of 0..n-1 (Heap's algorithm). */
export function permutations(n: number): number[][] {
  const out: number[][] = [];
  const p = Array.from({ length: n }, (_, i) => i);
  const c = new Array<number>(n).fill(0);
  out.push([...p]);
  let i = 0;
  while (i < n) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!;
      [p[j], p[i]] = [p[i]!, p[j]!];
      out.push([...p]);
      c[i]!++;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
  return out;
}

/** Minimum assignment cost by brute force over all permutations. */
export function bruteForceAssignment(cost: ArrayLike<number>, n: number): number {
  let best = Infinity;
  for (const p of permutations(n)) {
    let s = 0;
    for (let i = 0; i < n; i++) s += cost[i * n + p[i]!]!;
    best = Math.min(best, s);
  }
  return best;
}

/**
 * Reference Hungarian method with potentials (the O(n³) "e-maxx" formulation),
 * independent of the package's LAPJV and sparse solvers. Returns the minimum cost.
 */
export function hungarian(cost: ArrayLike<number>, n: number): number {
  const INF = Infinity;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1); // p[j]: row matched to column j (1-based), 0 = none
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(INF);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[(i0 - 1) * n + (j - 1)]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else minv[j] = minv[j]! - delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0);
  }
  let total = 0;
  for (let j = 1; j <= n; j++) total += cost[(p[j]! - 1) * n + (j - 1)]!;
  return total;
}

/** Squared-distance matrix of flat point sets (test helper, independent of the package's). */
export function costMatrix(a: ArrayLike<number>, b: ArrayLike<number>, dim: number): Float64Array {
  const n = a.length / dim;
  const m = b.length / dim;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += (a[i * dim + k]! - b[j * dim + k]!) ** 2;
      out[i * m + j] = s;
    }
  }
  return out;
}

/** Largest dual violation `u_i + v_j − c_ij` and largest complementary-slackness gap on the matching. */
export function dualCheck(
  cost: (i: number, j: number) => number,
  n: number,
  assignment: { rowToCol: Int32Array; rowPotential: Float64Array; colPotential: Float64Array },
): { violation: number; slack: number } {
  const { rowToCol, rowPotential: u, colPotential: v } = assignment;
  let violation = -Infinity;
  let slack = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) violation = Math.max(violation, u[i]! + v[j]! - cost(i, j));
    slack = Math.max(slack, Math.abs(cost(i, rowToCol[i]!) - u[i]! - v[rowToCol[i]!]!));
  }
  return { violation, slack };
}
