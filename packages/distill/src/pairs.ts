import { assertNumber, type Rng } from '@charlearn/core';

/** One group of a batch: its samples start at grid index `start`. */
export interface PairGroup {
  readonly start: number;
  readonly size: number;
}

/** How one distillation batch is laid out on the time grid. */
export interface PairPlan {
  /** Teacher steps n for this batch, `1 ≤ n ≤ gridSize − 1`, drawn with `P(n) ∝ n` (or the full jump, see {@link drawPairPlan}). */
  readonly n: number;
  /** Consecutive groups of the batch, each with its start index `i ∈ [0, gridSize − 1 − n]`. */
  readonly groups: readonly PairGroup[];
}

/**
 * Draws the characteristic pairs' layout for one batch, as the public code
 * does: one step count `n` with `P(n) ∝ n` for the whole batch (so that the
 * teacher runs `n` solver steps), and a start index per group (the teacher
 * runs one solver call per group, since solvers step a batch at one time).
 *
 * `fullJumpShare` (default 0: the public code's plan, and the same random draws) is the probability that the batch
 * is instead the whole grid's jump `grid[0] → grid[gridSize − 1]` (`n = gridSize − 1`, every group at start 0): the
 * map one-step sampling evaluates. With `P(n) ∝ n` alone that jump is `2 / gridSize` of the batches.
 *
 * @example
 * ```ts
 * drawPairPlan(rng, 20, 256, 4); // { n: 13, groups: [{ start: 2, size: 64 }, ...] }
 * drawPairPlan(rng, 20, 256, 4, 1); // { n: 19, groups: [{ start: 0, size: 64 }, ...] }
 * ```
 */
export function drawPairPlan(rng: Rng, gridSize: number, batch: number, groups: number, fullJumpShare = 0): PairPlan {
  assertNumber('gridSize', gridSize, { integer: true, min: 2 });
  assertNumber('batch', batch, { integer: true, min: 1 });
  assertNumber('pairGroups', groups, { integer: true, min: 1 });
  assertNumber('fullJumpShare', fullJumpShare, { min: 0, max: 1 });
  const maxN = gridSize - 1;
  if (fullJumpShare > 0 && rng.uniform() < fullJumpShare) return { n: maxN, groups: groupLayout(batch, groups, () => 0) };
  // P(n) ∝ n on {1..maxN}: total maxN(maxN+1)/2.
  let u = rng.uniform() * ((maxN * (maxN + 1)) / 2);
  let n = 1;
  while (n < maxN && u >= n) {
    u -= n;
    n++;
  }
  return { n, groups: groupLayout(batch, groups, () => rng.int(gridSize - n)) };
}

/** `min(groups, batch)` consecutive groups splitting `batch` as evenly as possible, each starting at `start()`. */
function groupLayout(batch: number, groups: number, start: () => number): PairGroup[] {
  const g = Math.min(groups, batch);
  const out: PairGroup[] = [];
  for (let k = 0; k < g; k++) {
    const size = Math.floor(((k + 1) * batch) / g) - Math.floor((k * batch) / g);
    out.push({ start: start(), size });
  }
  return out;
}
