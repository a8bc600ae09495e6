import { describe, expect, it } from 'vitest';
import type { GpuAdapterLike, GpuLike } from './gpu';
import { untilAdapterReturns } from './sync-read';

/** A GPU whose `requestAdapter()` answers from `answers` in turn (the last one repeats); 'throw' throws. */
function scriptedGpu(answers: ReadonlyArray<GpuAdapterLike | null | 'throw'>): GpuLike & { calls: number } {
  const gpu = {
    calls: 0,
    async requestAdapter(): Promise<GpuAdapterLike | null> {
      const a = answers[Math.min(gpu.calls++, answers.length - 1)]!;
      if (a === 'throw') throw new Error('lost');
      return a;
    },
  };
  return gpu;
}

describe('untilAdapterReturns (after a readback probe lost the GPU)', () => {
  it('polls until requestAdapter() gives an adapter again, a throw counting as null', async () => {
    const gpu = scriptedGpu([null, 'throw', null, {}]);
    expect(await untilAdapterReturns(gpu, { timeoutMs: 2000, pollMs: 1 })).toBe(true);
    expect(gpu.calls).toBe(4);
  });

  it('returns at once when an adapter is there', async () => {
    const gpu = scriptedGpu([{}]);
    expect(await untilAdapterReturns(gpu)).toBe(true);
    expect(gpu.calls).toBe(1);
  });

  it('gives up after the timeout (false), without throwing', async () => {
    const gpu = scriptedGpu([null]);
    const t0 = Date.now();
    expect(await untilAdapterReturns(gpu, { timeoutMs: 60, pollMs: 5 })).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(60);
    expect(gpu.calls).toBeGreaterThan(2);
  });
});
