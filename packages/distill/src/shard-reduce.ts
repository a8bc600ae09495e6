/**
 * The reduce of data-parallel gradients: every shard's gradient lies in its own flat (shared) buffer, and one pass
 * sums a range of the parameters over all shards, weighted by their rows. Internal to this package.
 */

/** A half-open range `[start, end)` of a flat parameter buffer. */
export interface ParameterRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Writes `out[i] = Σₖ weights[k] · shards[k][i]` for `i` in `range`, the shards summed in order and each partial sum
 * rounded to float32 (so any split of the parameters into ranges gives the same bits as one pass over all of them;
 * the partial sums are those of the trainer's former serial reduce).
 *
 * @param out - the reduced gradient, `[parameters]` (or longer); only `range` is written.
 * @param shards - each shard's flat gradient, `[parameters]` (or longer: a trailing loss slot is ignored).
 * @param weights - each shard's weight `nₖ / B` (its rows over the batch's), one a shard.
 * @param range - the parameters this call sums.
 */
export function weightedSumRange(out: Float32Array, shards: readonly Float32Array[], weights: readonly number[], range: ParameterRange): void {
  const { start, end } = range;
  const first = shards[0]!;
  const w0 = weights[0]!;
  for (let i = start; i < end; i++) out[i] = w0 * first[i]!;
  for (let k = 1; k < shards.length; k++) {
    const g = shards[k]!;
    const w = weights[k]!;
    for (let i = start; i < end; i++) out[i] = out[i]! + w * g[i]!;
  }
}
