import { describe, expect, it } from 'vitest';
import { reduceRanges, weightedSumRange } from './shard-reduce';

/** Deterministic pseudo-random floats in [-1, 1) (a 32-bit LCG), so the test needs no tensors. */
function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

describe('reduceRanges', () => {
  it.each([
    [10, 3],
    [1001, 2],
    [2, 4],
    [0, 2],
  ])('splits %i parameters into %i contiguous ranges covering all of them, sizes differing by at most one', (parameters, parts) => {
    const ranges = reduceRanges(parameters, parts);
    expect(ranges).toHaveLength(parts);
    expect(ranges[0]!.start).toBe(0);
    expect(ranges.at(-1)!.end).toBe(parameters);
    for (let k = 1; k < parts; k++) expect(ranges[k]!.start).toBe(ranges[k - 1]!.end);
    const sizes = ranges.map((r) => r.end - r.start);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });
});

describe('weightedSumRange', () => {
  const parameters = 1237;
  // three shards with a trailing loss slot each, as in the replicas' buffers
  const shards = [0, 1, 2].map((k) => randomFloats(parameters + 1, 7 + k));
  const weights = [520 / 1024, 300 / 1024, 204 / 1024];

  it('is the weighted sum Σ wₖ gₖ (against a float64 reference)', () => {
    const out = new Float32Array(parameters);
    weightedSumRange(out, shards, weights, { start: 0, end: parameters });
    for (let i = 0; i < parameters; i++) {
      const exact = shards.reduce((a, g, k) => a + weights[k]! * g[i]!, 0);
      expect(Math.abs(out[i]! - exact)).toBeLessThanOrEqual(4e-7 * Math.max(1, Math.abs(exact)));
    }
  });

  it.each([2, 3, 8])('summed in %i ranges (as the threads do at once) gives the same bits as one pass', (parts) => {
    const serial = new Float32Array(parameters);
    weightedSumRange(serial, shards, weights, { start: 0, end: parameters });
    const split = new Float32Array(parameters).fill(Number.NaN);
    for (const range of reduceRanges(parameters, parts)) weightedSumRange(split, shards, weights, range);
    expect(new Uint8Array(split.buffer)).toEqual(new Uint8Array(serial.buffer));
  });

  it('writes only its range and ignores the trailing loss slot', () => {
    const out = new Float32Array(parameters + 1).fill(5);
    weightedSumRange(out, shards, weights, { start: 10, end: 20 });
    expect(out[9]).toBe(5);
    expect(out[20]).toBe(5);
    expect(out[parameters]).toBe(5);
    expect(out[10]).not.toBe(5);
  });
});
