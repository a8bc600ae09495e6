import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, ShapeError, TypeMismatchError, ValueRangeError } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  STORED_NORMALISATION,
  TARGET_NAMES,
  checkerboardRaw,
  eightGaussiansRaw,
  empiricalNormalisation,
  getTarget,
  meanStd,
  swissRollRaw,
  twoMoonsRaw,
  type Target2D,
} from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const sampled = ['swiss-roll', '8gaussians', 'checkerboard', 'two-moons'] as const;
const samplers = { 'swiss-roll': swissRollRaw, '8gaussians': eightGaussiansRaw, checkerboard: checkerboardRaw, 'two-moons': twoMoonsRaw };

/** Midpoint-rule moments of the noise-free swiss roll over t ∈ [1.5π, 4.5π], plus the noise variance. */
function swissRollMoments(): { mean: number[]; std: number[] } {
  const steps = 200_000;
  const lo = 1.5 * Math.PI;
  const hi = 4.5 * Math.PI;
  const m = [0, 0];
  const s = [0, 0];
  for (let k = 0; k < steps; k++) {
    const t = lo + ((k + 0.5) * (hi - lo)) / steps;
    const p = [t * Math.cos(t), t * Math.sin(t)];
    for (let j = 0; j < 2; j++) {
      m[j]! += p[j]! / steps;
      s[j]! += p[j]! ** 2 / steps;
    }
  }
  return { mean: m, std: m.map((mu, j) => Math.sqrt(s[j]! - mu * mu + 0.01)) };
}

/** Population moments from the definitions in method.md (worked by hand or by quadrature). */
const analytic: Record<(typeof sampled)[number], { mean: number[]; std: number[] }> = {
  // E[cos] = 0 over 8 equally spaced angles; var = 0.1² + 2²·E[cos²] = 0.01 + 2
  '8gaussians': { mean: [0, 0], std: [Math.sqrt(2.01), Math.sqrt(2.01)] },
  // uniform on the board's 4 columns: var = 1/12 + mean((i − 1.5)²) = 4/3
  checkerboard: { mean: [0, 0], std: [Math.sqrt(4 / 3), Math.sqrt(4 / 3)] },
  // x: ½E[cos θ] + ½E[1 − cos θ] = ½, E[x²] = ½·½ + ½·(3/2) = 1; y: ½·2/π + ½(½ − 2/π) = ¼, E[y²] = 5/8 − 1/π
  'two-moons': { mean: [0.5, 0.25], std: [Math.sqrt(1 - 0.25 + 0.0025), Math.sqrt(5 / 8 - 1 / Math.PI - 1 / 16 + 0.0025)] },
  'swiss-roll': swissRollMoments(),
};

describe('registry', () => {
  it('lists the five targets and returns one shared instance per name', () => {
    expect([...TARGET_NAMES].sort()).toEqual(['8gaussians', 'checkerboard', 'gmm', 'swiss-roll', 'two-moons']);
    for (const name of TARGET_NAMES) {
      const t = getTarget(name);
      expect(t).toBe(getTarget(name));
      expect(t.name).toBe(name);
      expect(t.sampleShape).toEqual([2]);
      expect(t.sigmaData).toBe(1);
      expect(t.description.length).toBeGreaterThan(10);
    }
  });

  it('rejects an unknown name with a ValueRangeError listing the names', () => {
    let err: unknown;
    try {
      getTarget('moons');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValueRangeError);
    expect((err as ValueRangeError).parameter).toBe('name');
    for (const name of TARGET_NAMES) expect((err as Error).message).toContain(`'${name}'`);
    expect(() => getTarget(3 as unknown as string)).toThrow(ValueRangeError);
  });
});

describe('normalisation', () => {
  it('stored constants agree with a recomputation from 10^6 seeded points (1e-4)', () => {
    for (const name of sampled) {
      const fresh = empiricalNormalisation(samplers[name]);
      const stored = STORED_NORMALISATION[name];
      for (let j = 0; j < 2; j++) {
        expect(Math.abs(fresh.mean[j]! - stored.mean[j]!), name).toBeLessThan(1e-4);
        expect(Math.abs(fresh.std[j]! - stored.std[j]!), name).toBeLessThan(1e-4);
      }
      expect(getTarget(name).normalisation).toEqual(stored);
    }
  });

  it('stored constants match the analytic population moments within sampling error', () => {
    for (const name of sampled) {
      const { mean, std } = STORED_NORMALISATION[name];
      for (let j = 0; j < 2; j++) {
        const se = analytic[name].std[j]! / Math.sqrt(1e6);
        expect(Math.abs(mean[j]! - analytic[name].mean[j]!), `${name} mean[${j}]`).toBeLessThan(5 * se);
        // std of a sample std is ≈ σ·sqrt(κ − 1)/(2√n) ≤ σ/√n for these light-tailed laws
        expect(Math.abs(std[j]! - analytic[name].std[j]!), `${name} std[${j}]`).toBeLessThan(5 * se);
      }
    }
  });

  it.each([...TARGET_NAMES])('%s: a fresh normalised sample has mean ≈ 0 and std ≈ 1 per coordinate', (name) => {
    const n = 200_000;
    const x = getTarget(name).sampleArray(n, new Rng(7));
    const { mean, std } = meanStd(x, 2);
    for (let j = 0; j < 2; j++) {
      expect(Math.abs(mean[j]!)).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(std[j]! - 1)).toBeLessThan(5 / Math.sqrt(n));
    }
  });

  it('normalise and denormalise are inverse, on flat arrays and tensors', () => {
    const t = getTarget('swiss-roll');
    const raw = t.sampleRaw(100, new Rng(3));
    const back = t.denormalise(t.normalise(raw));
    raw.forEach((v, i) => expect(back[i]).toBeCloseTo(v, 10));
    const z = t.normalise(Array.from(raw.subarray(0, 2)));
    expect(z[0]).toBeCloseTo((raw[0]! - t.normalisation.mean[0]) / t.normalisation.std[0], 12);
    const tensor = tf.tensor2d(Float32Array.from(raw), [100, 2]);
    const rt = t.denormalise(t.normalise(tensor));
    expect(rt.shape).toEqual([100, 2]);
    const got = rt.dataSync();
    raw.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
    tf.dispose([tensor, rt]);
  });
});

describe('sampling', () => {
  it.each([...TARGET_NAMES])('%s: seeded, and sample / sampleArray / sampleRaw are the same draws', (name) => {
    const t: Target2D = getTarget(name);
    const a = t.sampleArray(500, new Rng(11));
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(1000);
    expect(t.sampleArray(500, new Rng(11))).toEqual(a);
    expect(t.sampleArray(500, new Rng(12))).not.toEqual(a);
    const tensor = t.sample(500, new Rng(11));
    expect(tensor.shape).toEqual([500, 2]);
    expect(tensor.dtype).toBe('float32');
    expect(tensor.dataSync()).toEqual(a);
    tensor.dispose();
    const raw = t.sampleRaw(500, new Rng(11));
    expect(raw).toBeInstanceOf(Float64Array);
    const norm = t.normalise(raw);
    expect(Float32Array.from(norm)).toEqual(a);
  });

  it('rejects bad counts, a missing rng and misshapen points before sampling', () => {
    const t = getTarget('8gaussians');
    expect(() => t.sample(0, new Rng(0))).toThrow(ValueRangeError);
    expect(() => t.sampleArray(2.5, new Rng(0))).toThrow(/n must be an integer/);
    expect(() => t.sampleRaw(-1, new Rng(0))).toThrow(ValueRangeError);
    expect(() => t.sample(4, undefined as unknown as Rng)).toThrow(TypeMismatchError);
    expect(() => t.sampleArray(4, { uniform: 1 } as unknown as Rng)).toThrow(/rng must be an Rng/);
    expect(() => t.denormalise([1, 2, 3])).toThrow(ShapeError);
    expect(() => t.normalise('x' as unknown as number[])).toThrow(TypeMismatchError);
    const bad = tf.zeros([3, 3]) as tf.Tensor2D;
    expect(() => t.denormalise(bad)).toThrow(/\[n, 2\]/);
    bad.dispose();
  });

  it('targets are frozen', () => {
    const t = getTarget('checkerboard');
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.normalisation.mean)).toBe(true);
  });
});
