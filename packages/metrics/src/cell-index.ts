import type { Points } from './points';

/**
 * A uniform grid over a 2-D point set, to skip far cells in kernel sums:
 * `nx × ny` cells of side `size`, the points sorted by cell, each cell's
 * bounding rectangle and (per {@link CellIndex.cellMax} call) the largest
 * value of a per-point quantity in it.
 *
 * @example
 * ```ts
 * const points = toPoints('points', [[0, 0], [1, 0.5], [0.2, 0.9]]);
 * const index = new CellIndex(points, 0.3);   // cells of side ≥ 0.3
 * const c = index.cellOf(0.5, 0.2);           // the cell (0.5, 0.2) falls in, clamped to the grid
 * ```
 */
export class CellIndex {
  readonly nx: number;
  readonly ny: number;
  readonly size: number;
  readonly x0: number;
  readonly y0: number;
  /** Point indices grouped by cell: cell `c` holds `order[start[c] .. start[c + 1])`. */
  readonly order: Int32Array;
  readonly start: Int32Array;
  /** Bounding rectangle of each cell's points, `[x0, y0, x1, y1]` per cell (empty: +∞ / −∞). */
  readonly bounds: Float64Array;

  /** `size`: the cell side wanted; raised so that there are at most ~`points.n / 2` cells (and 256 a side). */
  constructor(points: Points, size: number) {
    const n = points.n;
    const P = points.data;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      x0 = Math.min(x0, P[2 * i]!);
      x1 = Math.max(x1, P[2 * i]!);
      y0 = Math.min(y0, P[2 * i + 1]!);
      y1 = Math.max(y1, P[2 * i + 1]!);
    }
    const side = Math.max(x1 - x0, y1 - y0, Number.MIN_VALUE);
    const perSide = Math.max(1, Math.min(256, Math.floor(Math.sqrt(n / 2))));
    this.size = Math.max(size, side / perSide);
    this.x0 = x0;
    this.y0 = y0;
    this.nx = Math.max(1, Math.ceil((x1 - x0) / this.size) + 1);
    this.ny = Math.max(1, Math.ceil((y1 - y0) / this.size) + 1);
    const cells = this.nx * this.ny;
    const key = new Int32Array(n);
    const count = new Int32Array(cells + 1);
    for (let i = 0; i < n; i++) {
      key[i] = this.cellOf(P[2 * i]!, P[2 * i + 1]!);
      count[key[i]! + 1]!++;
    }
    for (let c = 0; c < cells; c++) count[c + 1]! += count[c]!;
    this.start = Int32Array.from(count);
    this.order = new Int32Array(n);
    const fill = Int32Array.from(count.subarray(0, cells));
    for (let i = 0; i < n; i++) this.order[fill[key[i]!]!++] = i;
    this.bounds = new Float64Array(4 * cells);
    for (let c = 0; c < cells; c++) this.bounds.set([Infinity, Infinity, -Infinity, -Infinity], 4 * c);
    for (let i = 0; i < n; i++) {
      const b = 4 * key[i]!;
      const x = P[2 * i]!;
      const y = P[2 * i + 1]!;
      this.bounds[b] = Math.min(this.bounds[b]!, x);
      this.bounds[b + 1] = Math.min(this.bounds[b + 1]!, y);
      this.bounds[b + 2] = Math.max(this.bounds[b + 2]!, x);
      this.bounds[b + 3] = Math.max(this.bounds[b + 3]!, y);
    }
  }

  /** The cell `(x, y)` falls in, clamped to the grid. */
  cellOf(x: number, y: number): number {
    const cx = Math.min(this.nx - 1, Math.max(0, Math.floor((x - this.x0) / this.size)));
    const cy = Math.min(this.ny - 1, Math.max(0, Math.floor((y - this.y0) / this.size)));
    return cy * this.nx + cx;
  }

  /** Squared distance from `(x, y)` to the bounding rectangle of cell `c`'s points (0 inside; +∞ when empty). */
  minDistance2(c: number, x: number, y: number): number {
    const b = this.bounds;
    if (this.start[c] === this.start[c + 1]) return Infinity;
    const dx = Math.max(b[4 * c]! - x, 0, x - b[4 * c + 2]!);
    const dy = Math.max(b[4 * c + 1]! - y, 0, y - b[4 * c + 3]!);
    return dx * dx + dy * dy;
  }

  /** The largest `values[j]` over the points `j` of each cell, into `out` (−∞ for an empty cell). */
  cellMax(values: Float64Array, out: Float64Array): void {
    for (let c = 0; c < this.nx * this.ny; c++) {
      let m = -Infinity;
      for (let k = this.start[c]!; k < this.start[c + 1]!; k++) m = Math.max(m, values[this.order[k]!]!);
      out[c] = m;
    }
  }
}
