import { ValueRangeError, assertNumber } from '@charlearn/core';

/** The config keys every time-conditioned network shares (MLP, U-Net, DiT), resolved. */
export interface TimeConditioningSpec {
  /** Width of the sinusoidal embedding of `c_noise` (even). */
  readonly timeEmbeddingDim: number;
  /** Longest period of the sinusoidal embedding. */
  readonly maxPeriod: number;
  /** Whether the network takes `c_noise(s)` too. */
  readonly twoTime: boolean;
  /** Seed of the weight initialisation. */
  readonly seed: number;
}

/**
 * Validates and defaults `timeEmbeddingDim`, `maxPeriod`, `twoTime` and `seed` of a network config; a
 * `ValueRangeError` names the key.
 *
 * @example
 * ```ts
 * resolveTimeConditioning({ timeEmbeddingDim: 32 }, 64); // { timeEmbeddingDim: 32, maxPeriod: 10000, twoTime: false, seed: 0 }
 * ```
 */
export function resolveTimeConditioning(
  c: { readonly timeEmbeddingDim?: unknown; readonly maxPeriod?: unknown; readonly twoTime?: unknown; readonly seed?: unknown },
  defaultEmbedding: number,
): TimeConditioningSpec {
  const timeEmbeddingDim = c.timeEmbeddingDim ?? defaultEmbedding;
  assertNumber('timeEmbeddingDim', timeEmbeddingDim, { integer: true, min: 2 });
  if (timeEmbeddingDim % 2 !== 0) throw new ValueRangeError(`timeEmbeddingDim must be even (sin and cos halves), got ${timeEmbeddingDim}`, 'timeEmbeddingDim');
  const maxPeriod = c.maxPeriod ?? 10000;
  assertNumber('maxPeriod', maxPeriod, { min: 1 });
  const twoTime = c.twoTime ?? false;
  if (typeof twoTime !== 'boolean') throw new ValueRangeError(`twoTime must be a boolean, got ${JSON.stringify(twoTime)}`, 'twoTime');
  const seed = c.seed ?? 0;
  assertNumber('seed', seed, { integer: true, min: 0, max: 0xffffffff });
  return { timeEmbeddingDim, maxPeriod, twoTime, seed };
}
