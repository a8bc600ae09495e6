import type { Rng } from '@charlearn/core';

/**
 * The 8 filled cells `(i, j)` of the 4×4 board, `i + j` even; cell `(i, j)`
 * covers `[i − 2, i − 1] × [j − 2, j − 1]`.
 */
export const CHECKERBOARD_CELLS: readonly (readonly [number, number])[] = [
  [0, 0], [0, 2], [1, 1], [1, 3], [2, 0], [2, 2], [3, 1], [3, 3],
];

/**
 * Raw checkerboard points, `n × 2` row-major float64: a filled cell of the
 * 4×4 board on `[-2, 2]²` chosen uniformly, then a uniform point inside it.
 * Draws per point: the cell `⌊8u⌋`, then two uniforms.
 *
 * @example
 * ```ts
 * const raw = checkerboardRaw(1000, new Rng(0)); // every point in a cell with i + j even
 * ```
 */
export function checkerboardRaw(n: number, rng: Rng): Float64Array {
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [ci, cj] = CHECKERBOARD_CELLS[Math.floor(8 * rng.uniform())]!;
    out[2 * i] = ci - 2 + rng.uniform();
    out[2 * i + 1] = cj - 2 + rng.uniform();
  }
  return out;
}

/**
 * Whether a raw point lies in a filled checkerboard cell (`(i + j)` even,
 * inside `[-2, 2]²`; cell borders count as filled).
 *
 * @example
 * ```ts
 * inFilledCell(-1.5, -1.5); // true: cell (0, 0)
 * inFilledCell(-0.5, -1.5); // false: cell (1, 0)
 * ```
 */
export function inFilledCell(x: number, y: number): boolean {
  if (!(x >= -2 && x <= 2 && y >= -2 && y <= 2)) return false;
  const fits = (ci: number, cj: number): boolean => x >= ci - 2 && x <= ci - 1 && y >= cj - 2 && y <= cj - 1;
  return CHECKERBOARD_CELLS.some(([ci, cj]) => fits(ci, cj));
}
