/**
 * The reduce of data-parallel gradients, split by parameter range: every shard's gradient lies in its own flat
 * buffer, and each of the `replicas` threads sums one contiguous range of the parameters over all shards, so the
 * reduce runs on every thread at once instead of serially on the trainer's. Internal to this package.
 */

/** A half-open range `[start, end)` of a flat parameter buffer. */
export interface ParameterRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Splits `parameters` floats into `parts` contiguous ranges, as even as possible, the larger ones first (like
 * `shardSizes`); a range may be empty when there are fewer parameters than parts.
 *
 * @example
 * ```ts
 * reduceRanges(10, 3); // [{ start: 0, end: 4 }, { start: 4, end: 7 }, { start: 7, end: 10 }]
 * ```
 */
export function reduceRanges(parameters: number, parts: number): ParameterRange[] {
  const base = Math.floor(parameters / parts);
  const extra = parameters % parts;
  const ranges: ParameterRange[] = [];
  let start = 0;
  for (let k = 0; k < parts; k++) {
    const end = start + base + (k < extra ? 1 : 0);
    ranges.push({ start, end });
    start = end;
  }
  return ranges;
}

/**
 * Writes `out[i] = Σₖ weights[k] · shards[k][i]` for `i` in `range`, the shards summed in order and each partial sum
 * rounded to float32 (so any split of the parameters into ranges gives the same bits as one pass over all of them).
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
