import { describe, expect, it } from 'vitest';
import { weightedSumRange, type ParameterRange } from './shard-reduce';

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

  it('is, bit for bit, the former serial reduce (acc = w₀g₀, then acc += wₖgₖ in float32), in one pass or in ranges', () => {
    const former = new Float32Array(parameters);
    for (let i = 0; i < parameters; i++) former[i] = weights[0]! * shards[0]![i]!;
    for (let k = 1; k < shards.length; k++) for (let i = 0; i < parameters; i++) former[i] = former[i]! + weights[k]! * shards[k]![i]!;
    const once = new Float32Array(parameters);
    weightedSumRange(once, shards, weights, { start: 0, end: parameters });
    expect(new Uint8Array(once.buffer)).toEqual(new Uint8Array(former.buffer));
    const split = new Float32Array(parameters).fill(Number.NaN);
    const ranges: ParameterRange[] = [{ start: 0, end: 1 }, { start: 1, end: 600 }, { start: 600, end: parameters }];
    for (const range of ranges) weightedSumRange(split, shards, weights, range);
    expect(new Uint8Array(split.buffer)).toEqual(new Uint8Array(former.buffer));
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
