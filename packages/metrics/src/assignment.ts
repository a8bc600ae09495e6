import { assertNumber, NonFiniteError, ShapeError, TypeMismatchError } from '@charlearn/core';

/** An optimal assignment with a dual certificate. */
export interface Assignment {
  /** `rowToCol[i]`: the column assigned to row `i`. */
  readonly rowToCol: Int32Array;
  /** `colToRow[j]`: the row assigned to column `j`. */
  readonly colToRow: Int32Array;
  /** `Σ_i cost[i, rowToCol[i]]` (summed in float64 from the matrix). */
  readonly totalCost: number;
  /**
   * Dual potentials `u` (rows) and `v` (columns): `u_i + v_j <= cost[i, j]`
   * for all `i, j` with equality on assigned pairs (up to rounding), which
   * certifies optimality: `Σu + Σv = totalCost` is a lower bound on every assignment.
   */
  readonly rowPotential: Float64Array;
  readonly colPotential: Float64Array;
}

/**
 * Minimum-cost perfect assignment for a dense square cost matrix by the
 * Jonker–Volgenant algorithm (LAPJV, 1987): column reduction with reduction
 * transfer, two passes of augmenting row reduction (capped, so that floating
 * point ties cannot make it cycle), then shortest augmenting paths
 * (Dijkstra on reduced costs with the dense JV scan) for the rows still free.
 * O(n³) in the worst case, far less on geometric costs; exact (no ε).
 *
 * `cost`: `n × n` float64 row-major, finite.
 *
 * @example
 * ```ts
 * const { rowToCol, totalCost } = solveAssignment(Float64Array.of(4, 1, 2, 3), 2);
 * // rowToCol = [1, 0], totalCost = 3
 * ```
 */
export function solveAssignment(cost: Float64Array, n: number): Assignment {
  if (!(cost instanceof Float64Array)) throw new TypeMismatchError('cost must be a Float64Array (n × n, row-major)', 'cost');
  assertNumber('n', n, { integer: true, min: 1 });
  if (cost.length !== n * n) throw new ShapeError(`cost must hold n·n = ${n * n} values, got ${cost.length}`, 'cost');
  for (let k = 0; k < cost.length; k++) {
    if (!Number.isFinite(cost[k]!)) {
      throw new NonFiniteError(`cost must be finite; first non-finite value ${cost[k]} at row ${Math.floor(k / n)}, column ${k % n}`, 'cost');
    }
  }
  const x = new Int32Array(n).fill(-1); // row -> column
  const y = new Int32Array(n).fill(-1); // column -> row
  const v = new Float64Array(n);
  const free = new Int32Array(n);
  let nFree = columnReduction(cost, n, x, y, v, free);
  for (let pass = 0; pass < 2 && nFree > 0; pass++) nFree = augmentingRowReduction(cost, n, nFree, free, x, y, v);
  if (nFree > 0) augment(cost, n, nFree, free, x, y, v);

  const u = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = cost[i * n + x[i]!]!;
    total += c;
    u[i] = c - v[x[i]!]!;
  }
  return { rowToCol: x, colToRow: y, totalCost: total, rowPotential: u, colPotential: v };
}

/**
 * Column reduction (each column to its cheapest row, last column first) and
 * reduction transfer for rows that received exactly one column. Fills
 * `free` with the unassigned rows and returns their count.
 */
function columnReduction(cost: Float64Array, n: number, x: Int32Array, y: Int32Array, v: Float64Array, free: Int32Array): number {
  v.fill(Infinity);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) {
      const c = cost[row + j]!;
      if (c < v[j]!) {
        v[j] = c;
        y[j] = i;
      }
    }
  }
  const unique = new Uint8Array(n).fill(1);
  for (let j = n - 1; j >= 0; j--) {
    const i = y[j]!;
    if (x[i]! < 0) x[i] = j;
    else {
      unique[i] = 0;
      y[j] = -1;
    }
  }
  let nFree = 0;
  for (let i = 0; i < n; i++) {
    if (x[i]! < 0) free[nFree++] = i;
    else if (unique[i]) {
      const j1 = x[i]!;
      const row = i * n;
      let min = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === j1) continue;
        const r = cost[row + j]! - v[j]!;
        if (r < min) min = r;
      }
      if (min < Infinity) v[j1] = v[j1]! - min;
    }
  }
  return nFree;
}

/**
 * One pass of JV's augmenting row reduction over the free rows. A free row
 * takes its cheapest column `j1` (reduced cost `c − v`) and lowers `v[j1]` by
 * the gap to its second cheapest, displacing `j1`'s previous row. The number
 * of steps is capped at `n` per free row seen. Returns the new free count.
 */
function augmentingRowReduction(cost: Float64Array, n: number, nFree: number, free: Int32Array, x: Int32Array, y: Int32Array, v: Float64Array): number {
  let current = 0;
  let newFree = 0;
  let steps = 0;
  while (current < nFree) {
    steps++;
    const i = free[current++]!;
    const row = i * n;
    let j1 = 0;
    let u1 = cost[row]! - v[0]!;
    let j2 = -1;
    let u2 = Infinity;
    for (let j = 1; j < n; j++) {
      const r = cost[row + j]! - v[j]!;
      if (r < u2) {
        if (r >= u1) {
          u2 = r;
          j2 = j;
        } else {
          u2 = u1;
          u1 = r;
          j2 = j1;
          j1 = j;
        }
      }
    }
    let i0 = y[j1]!;
    const lowered = v[j1]! - (u2 - u1);
    const lowers = lowered < v[j1]!;
    if (steps < current * n) {
      if (lowers) v[j1] = lowered;
      else if (i0 >= 0 && j2 >= 0) {
        j1 = j2;
        i0 = y[j2]!;
      }
      if (i0 >= 0) {
        if (lowers) free[--current] = i0;
        else free[newFree++] = i0;
      }
    } else if (i0 >= 0) free[newFree++] = i0;
    x[i] = j1;
    y[j1] = i;
    if (i0 >= 0 && x[i0] === j1) x[i0] = -1;
  }
  return newFree;
}

/**
 * Shortest augmenting paths (JV's dense Dijkstra) for each remaining free row,
 * updating the column prices of the scanned columns so that reduced costs stay
 * non-negative and assigned pairs stay tight.
 */
function augment(cost: Float64Array, n: number, nFree: number, free: Int32Array, x: Int32Array, y: Int32Array, v: Float64Array): void {
  const pred = new Int32Array(n);
  const cols = new Int32Array(n);
  const d = new Float64Array(n);
  for (let f = 0; f < nFree; f++) {
    const start = free[f]!;
    let j = shortestPath(cost, n, start, y, v, pred, cols, d);
    // flip the path back to the start row
    for (let steps = 0; ; steps++) {
      if (steps > n) throw new Error('solveAssignment: augmenting path did not close (internal error)');
      const i = pred[j]!;
      y[j] = i;
      const next = x[i]!;
      x[i] = j;
      if (i === start) break;
      j = next;
    }
  }
}

/** JV's dense shortest augmenting path from free row `start`; returns the free column it reaches. */
function shortestPath(
  cost: Float64Array,
  n: number,
  start: number,
  y: Int32Array,
  v: Float64Array,
  pred: Int32Array,
  cols: Int32Array,
  d: Float64Array,
): number {
  const startRow = start * n;
  for (let j = 0; j < n; j++) {
    cols[j] = j;
    pred[j] = start;
    d[j] = cost[startRow + j]! - v[j]!;
  }
  // cols[0, lo): scanned (ready); cols[lo, hi): to scan, all at distance mind; cols[hi, n): to do
  let lo = 0;
  let hi = 0;
  let nReady = 0;
  let last = -1;
  let mind = 0;
  while (last < 0) {
    if (lo === hi) {
      // collect the columns at the new minimum distance
      nReady = lo;
      hi = lo + 1;
      mind = d[cols[lo]!]!;
      for (let k = hi; k < n; k++) {
        const j = cols[k]!;
        const dj = d[j]!;
        if (dj <= mind) {
          if (dj < mind) {
            hi = lo;
            mind = dj;
          }
          cols[k] = cols[hi]!;
          cols[hi++] = j;
        }
      }
      for (let k = lo; k < hi; k++) {
        if (y[cols[k]!]! < 0) {
          last = cols[k]!;
          break;
        }
      }
      if (last >= 0) break;
    }
    // scan one column of distance mind: relax the to-do columns through its row
    const j1 = cols[lo++]!;
    const i = y[j1]!;
    const row = i * n;
    const h = cost[row + j1]! - v[j1]! - mind;
    for (let k = hi; k < n; k++) {
      const j = cols[k]!;
      const r = cost[row + j]! - v[j]! - h;
      if (r < d[j]!) {
        d[j] = r;
        pred[j] = i;
        if (r === mind) {
          if (y[j]! < 0) {
            last = j;
            break;
          }
          cols[k] = cols[hi]!;
          cols[hi++] = j;
        }
      }
    }
  }
  // price update for the scanned columns
  for (let k = 0; k < nReady; k++) {
    const j = cols[k]!;
    v[j] = v[j]! + d[j]! - mind;
  }
  return last;
}
