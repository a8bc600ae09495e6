import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs umbrella does); needed for tf.grad below.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GaussianMixture,
  Rng,
  ShapeError,
  TypeMismatchError,
  ValueRangeError,
  cosine,
  denoiserMatchingLoss,
  edmCoefficients,
  edmDenoiser,
  follmer,
  linear,
  perSample,
  sampleTrainingTimes,
  type Denoiser,
  type Interpolant,
  type RawNetwork,
} from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const paths: Interpolant[] = [follmer, linear, cosine];
const ts = [0.05, 0.3, 0.5, 0.77, 0.95];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function coeffs(t: number[], path: Interpolant, sd = 1) {
  const tt = tf.tensor1d(t);
  const c = edmCoefficients(tt, path, sd);
  const out = { cIn: c.cIn.arraySync(), cOut: c.cOut.arraySync(), cSkip: c.cSkip.arraySync(), cNoise: c.cNoise.arraySync() };
  tf.dispose([tt, c.cIn, c.cOut, c.cSkip, c.cNoise]);
  return out;
}

describe('EDM coefficients', () => {
  it('follmer with σ_d = 1: c_in = 1, c_out = σ = √(1 − t²), c_skip = α = t', () => {
    const c = coeffs(ts, follmer);
    ts.forEach((t, i) => {
      expect(c.cIn[i]).toBeCloseTo(1, 6);
      expect(c.cOut[i]).toBeCloseTo(Math.sqrt(1 - t * t), 6);
      expect(c.cSkip[i]).toBeCloseTo(t, 6);
    });
  });

  it('linear at t = 1/2 with σ_d = 1: c_in = √2, c_out = √½, c_skip = 1', () => {
    const c = coeffs([0.5], linear);
    expect(c.cIn[0]).toBeCloseTo(Math.SQRT2, 6);
    expect(c.cOut[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(c.cSkip[0]).toBeCloseTo(1, 6);
  });

  it.each([0.5, 1, 2])('match the method.md formulas for every path (σ_d = %s), c_noise = 999(1 − t)', (sd) => {
    for (const path of paths) {
      const c = coeffs(ts, path, sd);
      ts.forEach((t, i) => {
        const { alpha: a, sigma: s } = path.at(t);
        const total = a * a * sd * sd + s * s;
        expect(c.cIn[i]).toBeCloseTo(1 / Math.sqrt(total), 5);
        expect(c.cOut[i]).toBeCloseTo((s * sd) / Math.sqrt(total), 5);
        expect(c.cSkip[i]).toBeCloseTo((a * sd * sd) / total, 5);
        expect(c.cNoise[i]).toBeCloseTo(999 * (1 - t), 3);
      });
    }
  });

  it('satisfy α·c_skip + c_out²/σ_d² = 1, c_out = σ·σ_d·c_in, and give a unit-variance raw target', () => {
    // For x1 with variance σ_d² independent of z: Var[(x1 − c_skip x_t)/c_out]
    //   = (σ_d² (1 − α c_skip)² + c_skip² σ²)/c_out² = 1, and Var[c_in x_t] = 1.
    for (const sd of [0.5, 1, 1.7]) {
      for (const path of paths) {
        const c = coeffs(ts, path, sd);
        ts.forEach((t, i) => {
          const { alpha: a, sigma: s } = path.at(t);
          const [cIn, cOut, cSkip] = [c.cIn[i]!, c.cOut[i]!, c.cSkip[i]!];
          expect(a * cSkip + (cOut * cOut) / (sd * sd)).toBeCloseTo(1, 5);
          expect(cOut).toBeCloseTo(s * sd * cIn, 5);
          expect((sd * sd * (1 - a * cSkip) ** 2 + cSkip * cSkip * s * s) / (cOut * cOut)).toBeCloseTo(1, 4);
          expect(cIn * cIn * (a * a * sd * sd + s * s)).toBeCloseTo(1, 5);
        });
      }
    }
  });

  it('reject a non-positive or non-numeric sigmaData', () => {
    const t = tf.tensor1d([0.5]);
    for (const bad of [0, -1, Number.NaN]) {
      try {
        edmCoefficients(t, follmer, bad);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ValueRangeError);
        expect((e as ValueRangeError).parameter).toBe('sigmaData');
      }
      expect(() => edmDenoiser(() => tf.zeros([1]), follmer, bad)).toThrow(ValueRangeError);
    }
    expect(() => edmCoefficients(t, follmer, '1' as unknown as number)).toThrow(TypeMismatchError);
    t.dispose();
  });
});

describe('edmDenoiser', () => {
  it('with a raw net that outputs 0 returns exactly c_skip·x', () => {
    const x = new Rng(1).normalTensor([5, 2, 3]);
    const t = tf.tensor1d(ts);
    for (const path of paths) {
      const D = edmDenoiser((xIn) => tf.zerosLike(xIn), path, 0.8);
      const d = D(x, t);
      const c = edmCoefficients(t, path, 0.8);
      const want = tf.mul(perSample(c.cSkip, x), x);
      expect(d.shape).toEqual(x.shape);
      expect(Array.from(d.dataSync())).toEqual(Array.from(want.dataSync()));
      // and ≈ the float64 formula
      const xv = x.dataSync();
      const ref = Array.from(xv, (v, i) => {
        const { alpha: a, sigma: s } = path.at(ts[Math.floor(i / 6)]!);
        return ((a * 0.64) / (a * a * 0.64 + s * s)) * v;
      });
      expect(maxAbsDiff(d.dataSync(), ref)).toBeLessThan(1e-5);
      tf.dispose([d, want, c.cIn, c.cOut, c.cSkip, c.cNoise]);
    }
    tf.dispose([x, t]);
  });

  it('feeds the raw net c_in·x and c_noise(t), and adds c_out·F', () => {
    const x = new Rng(2).normalTensor([5, 4]);
    const t = tf.tensor1d(ts);
    const seen: { xIn: number[][]; cNoise: number[] }[] = [];
    const raw: RawNetwork = (xIn, cNoise) => {
      seen.push({ xIn: xIn.arraySync() as number[][], cNoise: cNoise.arraySync() });
      return tf.onesLike(xIn);
    };
    const D = edmDenoiser(raw, cosine, 1.3);
    const d = D(x, t).arraySync() as number[][];
    expect(seen).toHaveLength(1);
    const xs = x.arraySync() as number[][];
    ts.forEach((ti, b) => {
      const { alpha: a, sigma: s } = cosine.at(ti);
      const total = a * a * 1.69 + s * s;
      expect(seen[0]!.cNoise[b]).toBeCloseTo(999 * (1 - ti), 3);
      for (let j = 0; j < 4; j++) {
        expect(seen[0]!.xIn[b]![j]).toBeCloseTo(xs[b]![j]! / Math.sqrt(total), 5);
        expect(d[b]![j]).toBeCloseTo(((a * 1.69) / total) * xs[b]![j]! + (s * 1.3) / Math.sqrt(total), 5);
      }
    });
    tf.dispose([x, t]);
  });
});

/** A fixed, nonlinear "random" raw net. */
const rawNet: RawNetwork = (xIn, cNoise) =>
  tf.tidy(() => tf.mul(tf.tanh(tf.add(tf.mul(xIn, 0.7), 0.3)), perSample(tf.add(1, tf.div(cNoise, 999)), xIn)));

describe('denoiserMatchingLoss', () => {
  it('with the EDM weight equals the raw-net MSE mean((F − (x1 − c_skip x_t)/c_out)²) for edmDenoiser', () => {
    // D − x1 = c_skip x_t + c_out F − x1 = c_out (F − (x1 − c_skip x_t)/c_out), so w = 1/c_out² turns
    // the weighted denoiser error into the plain squared error of F against its target.
    const rng = new Rng(3);
    const B = 32;
    const shape = [B, 2, 3];
    for (const sd of [1, 0.6]) {
      for (const path of paths) {
        const x1 = tf.mul(rng.normalTensor(shape), sd);
        const z = rng.normalTensor(shape);
        const t = sampleTrainingTimes(B, rng, { eps0: 0.02, eps1: 0.02 });
        const loss = denoiserMatchingLoss({ denoiser: edmDenoiser(rawNet, path, sd), x1, z, t, interpolant: path, sigmaData: sd });
        expect(loss.shape).toEqual([]);
        // reference in float64 from plain numbers
        const x1v = x1.dataSync();
        const zv = z.dataSync();
        const tv = t.dataSync();
        let acc = 0;
        for (let i = 0; i < x1v.length; i++) {
          const { alpha: a, sigma: s } = path.at(tv[Math.floor(i / 6)]!);
          const total = a * a * sd * sd + s * s;
          const xt = a * x1v[i]! + s * zv[i]!;
          const F = Math.tanh(0.7 * (xt / Math.sqrt(total)) + 0.3) * (1 + (1 - tv[Math.floor(i / 6)]!));
          const target = (x1v[i]! - ((a * sd * sd) / total) * xt) / ((s * sd) / Math.sqrt(total));
          acc += (F - target) ** 2;
        }
        const want = acc / x1v.length;
        expect(want).toBeGreaterThan(0.1);
        expect(Math.abs(loss.dataSync()[0]! - want)).toBeLessThan(1e-4 * want);
        tf.dispose([x1, z, t, loss]);
      }
    }
  });

  it("weighting 'none' is the plain MSE of D(x_t) against x1", () => {
    const rng = new Rng(4);
    const x1 = rng.normalTensor([16, 3]);
    const z = rng.normalTensor([16, 3]);
    const t = sampleTrainingTimes(16, rng);
    const denoiser: Denoiser = (x) => tf.mul(x, 0.5);
    const loss = denoiserMatchingLoss({ denoiser, x1, z, t, interpolant: linear, weighting: 'none' });
    const x1v = x1.dataSync();
    const zv = z.dataSync();
    const tv = t.dataSync();
    let acc = 0;
    for (let i = 0; i < x1v.length; i++) {
      const tt = tv[Math.floor(i / 3)]!;
      acc += (0.5 * (tt * x1v[i]! + (1 - tt) * zv[i]!) - x1v[i]!) ** 2;
    }
    expect(loss.dataSync()[0]).toBeCloseTo(acc / x1v.length, 5);
    tf.dispose([x1, z, t, loss]);
  });

  it('is 0 for the exact denoiser of a point-mass data set (t < 1), positive otherwise', () => {
    const rng = new Rng(5);
    const B = 64;
    const atom = new GaussianMixture({ means: [[0.3, -0.7]], std: 0 });
    const x1 = tf.tensor2d(new Array(B).fill([0.3, -0.7]));
    const z = rng.normalTensor([B, 2]);
    const t = sampleTrainingTimes(B, rng, { eps0: 0, eps1: 1e-3 });
    for (const path of paths) {
      const exact = atom.fieldModel(path).denoise;
      const l0 = denoiserMatchingLoss({ denoiser: exact, x1, z, t, interpolant: path });
      expect(l0.dataSync()[0]).toBeLessThan(1e-10);
      const shifted: Denoiser = (x, tt) => tf.tidy(() => tf.add(exact(x, tt), 0.1));
      const l1 = denoiserMatchingLoss({ denoiser: shifted, x1, z, t, interpolant: path });
      expect(l1.dataSync()[0]).toBeGreaterThan(0.01 * 0.5);
      tf.dispose([l0, l1]);
    }
    // two atoms: the posterior mean differs from x1, so even the exact denoiser has positive loss
    const two = new GaussianMixture({ means: [[-1, 0], [1, 0]], std: 0 });
    const x1b = two.sampleTensor(B, rng);
    const l2 = denoiserMatchingLoss({ denoiser: two.fieldModel().denoise, x1: x1b, z, t, interpolant: follmer });
    expect(l2.dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([x1, z, t, x1b, l2]);
  });

  it('the exact mixture denoiser beats perturbed ones (it minimises the expected loss)', () => {
    const rng = new Rng(6);
    const B = 4000;
    const gmm = new GaussianMixture({ means: [[-1, 0], [1, 0.5]], std: 0.3, weights: [0.3, 0.7] });
    const x1 = gmm.sampleTensor(B, rng);
    const z = rng.normalTensor([B, 2]);
    const t = sampleTrainingTimes(B, rng, { eps0: 0.01, eps1: 0.05 });
    const exact = gmm.fieldModel().denoise;
    const lossOf = (d: Denoiser) => {
      const l = denoiserMatchingLoss({ denoiser: d, x1, z, t, interpolant: follmer });
      const v = l.dataSync()[0]!;
      l.dispose();
      return v;
    };
    const l0 = lossOf(exact);
    expect(l0).toBeGreaterThan(0);
    for (const f of [0.8, 1.25]) expect(lossOf((x, tt) => tf.tidy(() => tf.mul(exact(x, tt), f)))).toBeGreaterThan(l0);
    expect(lossOf((x, tt) => tf.tidy(() => tf.add(exact(x, tt), 0.2)))).toBeGreaterThan(l0);
    tf.dispose([x1, z, t]);
  });

  it('is differentiable through the denoiser parameters (gradient matches a finite difference)', () => {
    const rng = new Rng(7);
    const x1 = rng.normalTensor([8, 2]);
    const z = rng.normalTensor([8, 2]);
    const t = sampleTrainingTimes(8, rng, { eps0: 0.1, eps1: 0.1 });
    const lossAt = (w: tf.Tensor) =>
      denoiserMatchingLoss({ denoiser: edmDenoiser((xIn) => tf.mul(xIn, w), follmer), x1, z, t, interpolant: follmer });
    const w0 = tf.scalar(0.4);
    const g = tf.grad(lossAt)(w0);
    const h = 1e-2;
    const lp = lossAt(tf.scalar(0.4 + h));
    const lm = lossAt(tf.scalar(0.4 - h));
    const fd = (lp.dataSync()[0]! - lm.dataSync()[0]!) / (2 * h);
    expect(Math.abs(g.dataSync()[0]! - fd)).toBeLessThan(1e-3 * Math.max(1, Math.abs(fd)));
    tf.dispose([x1, z, t, w0, g, lp, lm]);
  });

  it('rejects bad inputs with a ShapeError naming the parameter', () => {
    const x1 = tf.zeros([4, 2]);
    const z = tf.zeros([4, 2]);
    const t = tf.fill([4], 0.5) as tf.Tensor1D;
    const denoiser: Denoiser = (x) => tf.clone(x);
    const base = { denoiser, x1, z, t, interpolant: follmer };
    const zBad = tf.zeros([4, 3]);
    const zBad2 = tf.zeros([3, 2]);
    const tBad = tf.fill([3], 0.5) as tf.Tensor1D;
    const t2d = tf.fill([4, 1], 0.5) as unknown as tf.Tensor1D;
    const empty = tf.zeros([0, 2]);
    const tEmpty = tf.tensor1d([]);
    const cases: [Partial<typeof base> & Record<string, unknown>, string][] = [
      [{ z: zBad }, 'z'],
      [{ z: zBad2 }, 'z'],
      [{ t: tBad }, 't'],
      [{ t: t2d }, 't'],
      [{ x1: empty, z: empty, t: tEmpty }, 'x1'],
      [{ x1: [[0, 0]] as unknown as tf.Tensor }, 'x1'],
    ];
    const before = tf.memory().numTensors;
    for (const [patch, param] of cases) {
      let err: unknown;
      try {
        denoiserMatchingLoss({ ...base, ...patch } as never);
      } catch (e) {
        err = e;
      }
      expect(err, param).toBeInstanceOf(ShapeError);
      expect((err as ShapeError).parameter).toBe(param);
      expect((err as ShapeError).message).toContain(param);
    }
    for (const [patch, param] of [
      [{ sigmaData: 0 }, 'sigmaData'],
      [{ weighting: 'sqrt' }, 'weighting'],
    ] as const) {
      try {
        denoiserMatchingLoss({ ...base, ...patch } as never);
        expect.unreachable();
      } catch (e) {
        expect(e, param).toBeInstanceOf(ValueRangeError);
        expect((e as ValueRangeError).parameter).toBe(param);
      }
    }
    try {
      denoiserMatchingLoss({ ...base, sigmaData: 0 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValueRangeError);
      expect((e as ValueRangeError).parameter).toBe('sigmaData');
    }
    expect(tf.memory().numTensors).toBe(before); // validation runs before any tensor math
    tf.dispose([x1, z, t, zBad, zBad2, tBad, t2d, empty, tEmpty]);
  });
});

describe('sampleTrainingTimes', () => {
  it('draws [batch] times in [eps0, 1 − eps1), deterministically per seed', () => {
    const a = sampleTrainingTimes(5000, new Rng(9), { eps0: 0.1, eps1: 0.2 });
    const b = sampleTrainingTimes(5000, new Rng(9), { eps0: 0.1, eps1: 0.2 });
    expect(a.shape).toEqual([5000]);
    const av = a.dataSync();
    expect(Array.from(av)).toEqual(Array.from(b.dataSync()));
    expect(Math.min(...av)).toBeGreaterThanOrEqual(0.1 - 1e-7);
    expect(Math.max(...av)).toBeLessThanOrEqual(0.8 + 1e-7);
    const mean = Array.from(av).reduce((s, v) => s + v, 0) / av.length;
    expect(Math.abs(mean - 0.45)).toBeLessThan(4 * (0.7 / Math.sqrt(12)) / Math.sqrt(5000));
    tf.dispose([a, b]);
  });

  it('validates batch and eps', () => {
    const rng = new Rng(0);
    const cases: [() => unknown, string][] = [
      [() => sampleTrainingTimes(0, rng), 'batch'],
      [() => sampleTrainingTimes(2.5, rng), 'batch'],
      [() => sampleTrainingTimes(4, rng, { eps0: 1 }), 'eps0'],
      [() => sampleTrainingTimes(4, rng, { eps0: -0.1 }), 'eps0'],
      [() => sampleTrainingTimes(4, rng, { eps0: 0.5, eps1: 0.5 }), 'eps1'],
    ];
    for (const [f, param] of cases) {
      try {
        f();
        expect.unreachable(param);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueRangeError);
        expect((e as ValueRangeError).parameter).toBe(param);
      }
    }
  });
});

describe('tensor hygiene', () => {
  it('edmCoefficients, edmDenoiser and denoiserMatchingLoss leave numTensors unchanged', () => {
    const rng = new Rng(10);
    const x1 = rng.normalTensor([6, 3]);
    const z = rng.normalTensor([6, 3]);
    const t = sampleTrainingTimes(6, rng);
    const before = tf.memory().numTensors;
    for (const path of paths) {
      const c = edmCoefficients(t, path, 0.5);
      const D = edmDenoiser(rawNet, path, 0.5);
      const d = D(x1, t);
      const l = denoiserMatchingLoss({ denoiser: D, x1, z, t, interpolant: path, sigmaData: 0.5 });
      const ln = denoiserMatchingLoss({ denoiser: D, x1, z, t, interpolant: path, weighting: 'none' });
      expect(tf.memory().numTensors).toBe(before + 7);
      tf.dispose([c.cIn, c.cOut, c.cSkip, c.cNoise, d, l, ln]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x1, z, t]);
  });
});
