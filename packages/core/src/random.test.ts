import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, TypeMismatchError, ValueRangeError, priorSample } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe('Rng', () => {
  it('same seed → same sequence (raw, uniform and normal)', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    expect(draws(a, 50)).toEqual(draws(b, 50));
    expect(Array.from({ length: 20 }, () => a.uniform())).toEqual(Array.from({ length: 20 }, () => b.uniform()));
    expect(Array.from(a.normalArray(21))).toEqual(Array.from(b.normalArray(21)));
  });

  it('different seeds give different sequences', () => {
    const seqs = [0, 1, 2, 42, 0xffffffff].map((s) => draws(new Rng(s), 8).join(','));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('raw outputs look like uniform 32-bit words (every bit is set about half the time)', () => {
    const rng = new Rng(7);
    const n = 20000;
    const counts = new Array<number>(32).fill(0);
    for (let i = 0; i < n; i++) {
      const v = rng.nextUint32();
      expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
      for (let b = 0; b < 32; b++) if ((v >>> b) & 1) counts[b]!++;
    }
    for (const c of counts) expect(Math.abs(c / n - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / n));
  });

  it('state() / Rng.fromState resume exactly, also with a cached Box–Muller spare', () => {
    const rng = new Rng(99);
    rng.normalArray(7); // odd count: a spare normal is now cached
    const saved = rng.state();
    expect(saved).toHaveLength(5);
    expect(Number.isNaN(saved[4])).toBe(false);
    const expected = [rng.normal(), rng.normal(), rng.normal(), rng.uniform(), rng.nextUint32()];
    const resumed = Rng.fromState(saved);
    expect([resumed.normal(), resumed.normal(), resumed.normal(), resumed.uniform(), resumed.nextUint32()]).toEqual(expected);
    // the spare was the first value handed out after resuming
    expect(expected[0]).toBe(saved[4]);
  });

  it('resumes without a spare (NaN) and through JSON (NaN → null)', () => {
    const rng = new Rng(5);
    rng.normalArray(4); // even count: no spare
    const saved = rng.state();
    expect(Number.isNaN(saved[4])).toBe(true);
    const json = JSON.parse(JSON.stringify(saved)) as number[];
    expect(json[4]).toBeNull();
    const expected = Array.from(rng.normalArray(5));
    expect(Array.from(Rng.fromState(saved).normalArray(5))).toEqual(expected);
    expect(Array.from(Rng.fromState(json).normalArray(5))).toEqual(expected);
    // resuming does not share state with the original
    const r2 = Rng.fromState(saved);
    r2.nextUint32();
    expect(Rng.fromState(saved).state()).toEqual(saved);
  });

  it('fromState rejects malformed states', () => {
    const bad: unknown[] = [
      [1, 2, 3],
      [1, 2, 3, 4],
      [1, 2, 3, -4, Number.NaN],
      [1, 2, 3, 2 ** 32, Number.NaN],
      [1, 2, 3, 0.5, Number.NaN],
      [0, 0, 0, 0, Number.NaN], // the all-zero xoshiro state is a fixed point (outputs 0 forever)
      [1, 2, 3, 4, 'x'],
      [1, 2, 3, 4, Infinity],
      'state',
      null,
    ];
    for (const s of bad) {
      let err: unknown;
      try {
        Rng.fromState(s as number[]);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(s)).toBeInstanceOf(ValueRangeError);
      expect((err as ValueRangeError).parameter).toBe('state');
    }
  });

  it('normal() has mean ≈ 0 and variance ≈ 1 over 1e5 draws, and is symmetric', () => {
    const n = 100_000;
    const x = new Rng(2024).normalArray(n);
    let m = 0;
    for (const v of x) m += v;
    m /= n;
    let v2 = 0;
    let m3 = 0;
    let m4 = 0;
    let below = 0;
    for (const v of x) {
      v2 += (v - m) ** 2;
      m3 += (v - m) ** 3;
      m4 += (v - m) ** 4;
      if (v < -1.959964) below++;
    }
    v2 /= n;
    expect(Math.abs(m)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(v2 - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(m3 / n)).toBeLessThan(5 * Math.sqrt(15 / n));
    expect(Math.abs(m4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    expect(Math.abs(below / n - 0.025)).toBeLessThan(5 * Math.sqrt((0.025 * 0.975) / n));
  });

  it('consecutive normals are uncorrelated (both Box–Muller values are independent)', () => {
    const n = 100_000;
    const x = new Rng(77).normalArray(n);
    for (const offset of [0, 1]) {
      // pairs (x[2i+offset], x[2i+1+offset]): offset 0 = the two values of one Box–Muller draw
      let sxy = 0;
      let bothPositive = 0;
      let pairs = 0;
      for (let i = offset; i + 1 < n; i += 2) {
        sxy += x[i]! * x[i + 1]!;
        if (x[i]! > 0 && x[i + 1]! > 0) bothPositive++;
        pairs++;
      }
      expect(Math.abs(sxy / pairs)).toBeLessThan(5 / Math.sqrt(pairs));
      expect(Math.abs(bothPositive / pairs - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / pairs));
    }
  });

  it('uniform() is in [0, 1) with mean 1/2 and flat deciles', () => {
    const rng = new Rng(11);
    const n = 50_000;
    const bins = new Array<number>(10).fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      bins[Math.floor(u * 10)]!++;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    for (const b of bins) expect(Math.abs(b / n - 0.1)).toBeLessThan(5 * Math.sqrt(0.09 / n));
    const arr = new Rng(11).uniformArray(1000, -2, 3);
    expect(Math.min(...arr)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...arr)).toBeLessThan(3);
  });

  it('int(n) stays in [0, n) and hits every value', () => {
    const rng = new Rng(3);
    for (const n of [1, 2, 7, 1000]) {
      const seen = new Set<number>();
      for (let i = 0; i < 20 * Math.min(n, 50); i++) {
        const k = rng.int(n);
        expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
        seen.add(k);
      }
      if (n <= 7) expect(seen.size).toBe(n);
    }
    for (const bad of [0, -3, 1.5, Number.NaN]) expect(() => rng.int(bad)).toThrow(ValueRangeError);
  });

  it('rejects bad seeds naming the parameter', () => {
    for (const seed of [-1, 1.5, 2 ** 32, Number.NaN, Infinity]) {
      try {
        new Rng(seed);
        expect.unreachable(String(seed));
      } catch (e) {
        expect(e).toBeInstanceOf(ValueRangeError);
        expect((e as ValueRangeError).parameter).toBe('seed');
      }
    }
    expect(() => new Rng('1' as unknown as number)).toThrow(TypeMismatchError);
    expect(() => new Rng(0)).not.toThrow();
    expect(() => new Rng(2 ** 32 - 1)).not.toThrow();
  });

  it('fork() gives an independent generator and advances the parent deterministically', () => {
    const a = new Rng(8);
    const b = new Rng(8);
    const fa = a.fork();
    const fb = b.fork();
    expect(draws(fa, 5)).toEqual(draws(fb, 5));
    expect(draws(a, 5)).toEqual(draws(b, 5));
    expect(draws(new Rng(8).fork(), 5)).not.toEqual(draws(new Rng(8), 5));
  });

  it('normalTensor / uniformTensor have the shape, dtype and values of the array draws, and validate shapes', () => {
    const t = new Rng(4).normalTensor([3, 2, 2]);
    expect(t.shape).toEqual([3, 2, 2]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.dataSync())).toEqual(Array.from(new Rng(4).normalArray(12)));
    const u = new Rng(4).uniformTensor([5], 1, 2);
    expect(Array.from(u.dataSync())).toEqual(Array.from(new Rng(4).uniformArray(5, 1, 2)));
    tf.dispose([t, u]);
    const rng = new Rng(0);
    expect(() => rng.normalTensor([])).toThrow(ValueRangeError);
    expect(() => rng.normalTensor([2, 0])).toThrow(ValueRangeError);
    expect(() => rng.uniformTensor([2, 1.5])).toThrow(ValueRangeError);
  });
});

describe('priorSample', () => {
  it('has the requested shape, is deterministic per seed and equals Rng.normalTensor', () => {
    const a = priorSample([10, 2], 17);
    const b = priorSample([10, 2], 17);
    const c = priorSample([10, 2], 18);
    expect(a.shape).toEqual([10, 2]);
    expect(a.dtype).toBe('float32');
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    expect(Array.from(a.dataSync())).toEqual(Array.from(new Rng(17).normalArray(20)));
    tf.dispose([a, b, c]);
  });

  it('accepts an Rng and advances it (consecutive calls differ; a same-seeded stream reproduces both)', () => {
    const rng = new Rng(5);
    const a = priorSample([4, 3], rng);
    const b = priorSample([4, 3], rng);
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(b.dataSync()));
    const ref = new Rng(5).normalArray(24);
    expect(Array.from(a.dataSync())).toEqual(Array.from(ref.subarray(0, 12)));
    expect(Array.from(b.dataSync())).toEqual(Array.from(ref.subarray(12)));
    tf.dispose([a, b]);
  });

  it('rejects a bad seed or shape', () => {
    expect(() => priorSample([2, 2], -1)).toThrow(ValueRangeError);
    expect(() => priorSample([0, 2], 1)).toThrow(ValueRangeError);
  });
});
