/**
 * A seeded held-out split of a data file's rows (`data.holdout`): the held-out rows are never trained on, and
 * `charlearn eval` measures against them. Pure and browser-safe.
 */
import { Rng, ValueRangeError } from '@charlearn/core';

/** The rows of a split, 0-based and ascending. */
export interface RowSplit {
  readonly train: readonly number[];
  readonly heldOut: readonly number[];
}

/**
 * Splits `count` rows: `round(count · fraction)` rows (at least 1 when `fraction > 0`) are held out, chosen by a
 * Fisher–Yates shuffle from `new Rng(seed)`; the rest train. The same `(count, fraction, seed)` give the same split.
 *
 * @throws ValueRangeError when `fraction` is outside [0, 1) or the split would leave no training row
 * @example
 * ```ts
 * holdoutRows(10, 0.2, 0).heldOut.length; // 2
 * holdoutRows(10, 0, 0).train.length;     // 10
 * ```
 */
export function holdoutRows(count: number, fraction: number, seed: number): RowSplit {
  if (!(fraction >= 0 && fraction < 1)) throw new ValueRangeError(`data.holdout must be a fraction in [0, 1), got ${fraction}`, 'data.holdout');
  const rows = Array.from({ length: count }, (_, i) => i);
  if (fraction === 0) return { train: rows, heldOut: [] };
  const held = Math.max(1, Math.round(count * fraction));
  if (held >= count) {
    throw new ValueRangeError(`data.holdout ${fraction} of ${count} rows leaves no row to train on: use a larger file or a smaller data.holdout (0 keeps every row)`, 'data.holdout');
  }
  const rng = new Rng(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  const heldOut = rows.slice(0, held).sort((a, b) => a - b);
  const isHeld = new Uint8Array(count);
  for (const r of heldOut) isHeld[r] = 1;
  const train: number[] = [];
  for (let i = 0; i < count; i++) if (!isHeld[i]) train.push(i);
  return { train, heldOut };
}

/**
 * The given rows of a row-major array of rows `width` values wide, in order.
 *
 * @example
 * ```ts
 * selectRows(Float64Array.of(1, 2, 3, 4, 5, 6), 2, [0, 2]); // Float64Array [1, 2, 5, 6]
 * ```
 */
export function selectRows(values: Float64Array, width: number, rows: readonly number[]): Float64Array {
  const out = new Float64Array(rows.length * width);
  rows.forEach((r, k) => out.set(values.subarray(r * width, (r + 1) * width), k * width));
  return out;
}
