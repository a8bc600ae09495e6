import { CharlearnError, Rng, ShapeError, ValueRangeError } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { exactW2 } from './exact-w2';
import { startW2Pool, W2PoolError } from './w2-pool';
import { gaussianPoints, ringPoints } from './test-utils';

describe('startW2Pool', () => {
  it('gives exactW2 bit for bit, with more point sets queued than workers', async () => {
    const rng = new Rng(3);
    const n = 300;
    const reference = gaussianPoints(n, rng);
    const sets = [gaussianPoints(n, rng), ringPoints(n, rng), gaussianPoints(n, rng, { scale: 2, shift: [1, -1] }), Float32Array.from(gaussianPoints(n, rng)), ringPoints(n, rng)];
    const pool = await startW2Pool({ reference, workers: 2, neighbours: 4 });
    try {
      expect(pool.workers).toBe(2);
      const got = await Promise.all(sets.map((s) => pool.w2(s)));
      const want = sets.map((s) => exactW2(s, reference, { neighbours: 4 }));
      expect(got).toEqual(want);
      // distinct sets give distinct figures: the answers are not one set's figure repeated
      expect(new Set(got).size).toBe(sets.length);
    } finally {
      await pool.close();
    }
  });

  it('names bad input before anything is sent, and a worker-side failure without losing the pool', async () => {
    const reference = gaussianPoints(50, new Rng(1));
    await expect(startW2Pool({ reference, workers: 0 })).rejects.toThrow(ValueRangeError);
    await expect(startW2Pool({ reference: new Float32Array(3) })).rejects.toThrow(ShapeError);
    const pool = await startW2Pool({ reference });
    try {
      expect(() => pool.w2(new Float32Array(10))).toThrow(/points has 10 values, the reference 100/);
      const bad = gaussianPoints(50, new Rng(2));
      bad[7] = Number.NaN;
      const e = await pool.w2(bad).then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(W2PoolError);
      expect((e as Error).message).toMatch(/NonFiniteError/);
      const good = gaussianPoints(50, new Rng(4));
      await expect(pool.w2(good)).resolves.toBe(exactW2(good, reference));
    } finally {
      await pool.close();
    }
  });

  it('after close(): waiting calls reject and new calls throw', async () => {
    const rng = new Rng(5);
    const reference = gaussianPoints(400, rng);
    const pool = await startW2Pool({ reference });
    const waiting = [pool.w2(gaussianPoints(400, rng)), pool.w2(gaussianPoints(400, rng)), pool.w2(gaussianPoints(400, rng))];
    const settling = Promise.allSettled(waiting);
    await pool.close();
    const settled = await settling;
    expect(settled.filter((s) => s.status === 'rejected').length).toBeGreaterThanOrEqual(2);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(CharlearnError);
    expect(() => pool.w2(reference)).toThrow(/closed/);
  });
});
