import { Rng } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { describe, expect, it } from 'vitest';
import { exactW2 } from './exact-w2';
import { evaluationSamples, heldOutEvaluationSamples, w2WithFloor } from './protocol';

describe('evaluationSamples: the W2 protocol in one place', () => {
  const target = getTarget('swiss-roll');
  const n = 300;

  it('draws held-out data, the floor and z from the seed-derived streams', () => {
    const s = evaluationSamples(target, n, 7);
    expect(s.heldOut).toEqual(target.sampleArray(n, new Rng(7 + 1001)));
    expect(s.z).toEqual(new Rng(7 + 3003).normalArray(n * 2));
    expect(s.floor).toBe(exactW2(target.sampleArray(n, new Rng(7 + 2002)), s.heldOut));
    expect(s.floor).toBe(w2WithFloor(s.z, s.heldOut, target.sampleArray(n, new Rng(7 + 2002))).floor);
    // another seed, other samples; the same seed, the same figures
    expect(evaluationSamples(target, n, 8).floor).not.toBe(s.floor);
    expect(evaluationSamples(target, n, 7).floor).toBe(s.floor);
  });

  it('w2 is exact W2 against the held-out points: 0 for themselves, |v| for their translate by v', () => {
    const { heldOut, floor, w2 } = evaluationSamples(target, n, 0);
    expect(w2(heldOut)).toBe(0);
    const shifted = heldOut.map((x, i) => x + (i % 2 === 0 ? 0.3 : -0.4));
    expect(w2(shifted)).toBeCloseTo(0.5, 5);
    expect(floor).toBeGreaterThan(0);
  });

  it('w2Options.neighbours changes the solver, not the figures: the floor and w2 agree to the bit', () => {
    const m = 150;
    const s = evaluationSamples(target, m, 3);
    const generated = new Rng(5).normalArray(m * 2);
    for (const neighbours of [2, 8]) {
      const t = evaluationSamples(target, m, 3, 2, { neighbours });
      expect(t.floor).toBe(s.floor);
      expect(t.w2(generated)).toBe(s.w2(generated));
      expect(t.w2(generated)).toBe(exactW2(generated, s.heldOut, { neighbours: 24 }));
    }
    const f = heldOutEvaluationSamples(s.heldOut, target, m, 3, 2, { neighbours: 2 });
    expect(f.w2(generated)).toBe(heldOutEvaluationSamples(s.heldOut, target, m, 3).w2(generated));
  });

  it('a bad w2Options is a named error before any draw', () => {
    let draws = 0;
    const counting = { sampleArray: (k: number, rng: Rng) => (draws++, rng.normalArray(k * 2)) };
    expect(() => evaluationSamples(counting, 10, 0, 2, { neighbours: 0 })).toThrow(/w2Options\.neighbours/);
    expect(() => evaluationSamples(counting, 10, 0, 2, { neighbours: 2.5 })).toThrow(/w2Options\.neighbours/);
    expect(() => heldOutEvaluationSamples(new Float32Array(20), counting, 10, 0, 2, { neighbours: -1 })).toThrow(/w2Options\.neighbours/);
    expect(() => evaluationSamples(counting, 10, 0, 2, null as never)).toThrow(/w2Options must be an object/);
    expect(draws).toBe(0);
  });

  it('works in any dimension', () => {
    const sampler = { sampleArray: (k: number, rng: Rng) => rng.normalArray(k * 3) };
    const s = evaluationSamples(sampler, 100, 0, 3);
    expect(s.z).toHaveLength(300);
    expect(s.w2(s.heldOut)).toBe(0);
    expect(s.floor).toBe(exactW2(new Rng(2002).normalArray(300), s.heldOut, { dim: 3 }));
  });
});

describe('heldOutEvaluationSamples: the protocol against fixed held-out rows', () => {
  const train = { sampleArray: (k: number, rng: Rng) => rng.normalArray(k * 2) };
  const rows = new Rng(1).normalArray(40 * 2);

  it('all rows when there are fewer than n; the floor from train; z from the seed', () => {
    const s = heldOutEvaluationSamples(rows, train, 100, 4);
    expect(s.heldOut).toEqual(rows);
    expect(s.z).toEqual(new Rng(4 + 3003).normalArray(80));
    expect(s.floor).toBe(exactW2(new Rng(4 + 2002).normalArray(80), rows));
    expect(s.w2(rows)).toBe(0);
  });

  it('n of the rows, without replacement, when there are more', () => {
    const s = heldOutEvaluationSamples(rows, train, 10, 4);
    expect(s.heldOut).toHaveLength(20);
    const pairs = new Set(Array.from({ length: 40 }, (_, i) => `${rows[2 * i]},${rows[2 * i + 1]}`));
    const picked = Array.from({ length: 10 }, (_, i) => `${s.heldOut[2 * i]},${s.heldOut[2 * i + 1]}`);
    expect(new Set(picked).size).toBe(10);
    picked.forEach((p) => expect(pairs.has(p)).toBe(true));
  });
});
