import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GaussianMixture, Rng, ShapeError, ValueRangeError, cosine, follmer, linear, type Interpolant } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const paths: Interpolant[] = [follmer, linear, cosine];
const spec = { means: [[-1, 0], [1, 0.5]], std: 0.3, weights: [0.3, 0.7] };
const gmm = new GaussianMixture(spec);
/** Σ w_k μ_k of `spec`. */
const mixMean = [0.3 * -1 + 0.7 * 1, 0.3 * 0 + 0.7 * 0.5];
/** Per-coordinate variance of `spec`: s² + Σ w μ_j² − μ̄_j². */
const mixVar = [0.09 + (0.3 * 1 + 0.7 * 1) - mixMean[0]! ** 2, 0.09 + (0.3 * 0 + 0.7 * 0.25) - mixMean[1]! ** 2];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('construction', () => {
  it('normalises weights and defaults to equal weights', () => {
    const g = new GaussianMixture({ means: [[0], [1], [2]], std: 1, weights: [1, 1, 2] });
    expect(g.weights).toEqual([0.25, 0.25, 0.5]);
    expect(g.components).toBe(3);
    expect(g.dim).toBe(1);
    expect(new GaussianMixture({ means: [[0, 0], [1, 1]], std: 0 }).weights).toEqual([0.5, 0.5]);
  });

  it('copies the means (later mutation of the spec does not change the mixture)', () => {
    const means = [[0, 1]];
    const g = new GaussianMixture({ means, std: 0 });
    means[0]![0] = 5;
    expect(Array.from(g.denoisePoint([0.3, 0.3], 0.5))).toEqual([0, 1]);
  });

  it('rejects bad specs with typed errors naming the parameter', () => {
    const cases: [unknown, new (...a: never[]) => Error, string][] = [
      [{ means: [], std: 1 }, ShapeError, 'means'],
      [{ means: [[]], std: 1 }, ShapeError, 'means'],
      [{ means: [[0, 1], [2]], std: 1 }, ShapeError, 'means'],
      [{ means: [[0, Number.NaN]], std: 1 }, ValueRangeError, 'means[0][1]'],
      [{ means: [[0]], std: -0.1 }, ValueRangeError, 'std'],
      [{ means: [[0], [1]], std: 1, weights: [1] }, ShapeError, 'weights'],
      [{ means: [[0], [1]], std: 1, weights: [1, 0] }, ValueRangeError, 'weights[1]'],
    ];
    for (const [s, Err, param] of cases) {
      let err: unknown;
      try {
        new GaussianMixture(s as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(s)).toBeInstanceOf(Err);
      expect((err as { parameter?: string }).parameter).toBe(param);
    }
  });
});

describe('sampling', () => {
  it('is deterministic for a seed and matches the mixture moments', () => {
    const n = 20000;
    const a = gmm.sample(n, new Rng(3));
    const b = gmm.sample(n, new Rng(3));
    expect(a).toEqual(b);
    for (let j = 0; j < 2; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += a[2 * i + j]!;
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (a[2 * i + j]! - m) ** 2;
      v /= n - 1;
      expect(Math.abs(m - mixMean[j]!)).toBeLessThan(5 * Math.sqrt(mixVar[j]! / n));
      expect(Math.abs(v / mixVar[j]! - 1)).toBeLessThan(0.05);
    }
    const t = gmm.sampleTensor(10, new Rng(3));
    expect(t.shape).toEqual([10, 2]);
    expect(maxAbsDiff(t.dataSync(), a.subarray(0, 20))).toBeLessThan(1e-6);
    t.dispose();
  });
});

describe('exact denoiser', () => {
  it('tensor denoise equals float64 denoisePoint (1e-5) for every path', () => {
    const rng = new Rng(11);
    const B = 64;
    const xs = Array.from(rng.normalArray(B * 2), (v) => 1.5 * v);
    const ts = Array.from(rng.uniformArray(B, 0, 0.98));
    ts[0] = 0;
    const x = tf.tensor2d(xs, [B, 2]);
    const t = tf.tensor1d(ts);
    for (const path of paths) {
      const d = gmm.denoise(x, t, path);
      expect(d.shape).toEqual([B, 2]);
      const got = d.dataSync();
      const want = new Float64Array(B * 2);
      for (let b = 0; b < B; b++) want.set(gmm.denoisePoint(xs.slice(2 * b, 2 * b + 2), ts[b]!, path), 2 * b);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      d.dispose();
    }
    tf.dispose([x, t]);
  });

  it('is the posterior mean E[x1 | x_t = x] (importance-sampling check, tolerance from the MC error)', () => {
    const n = 200_000;
    const x1 = gmm.sample(n, new Rng(21));
    const cases: [number[], number, Interpolant][] = [
      [[0.2, 0.1], 0.5, follmer],
      [[-0.4, 0.3], 0.8, follmer],
      [[0.1, -0.2], 0.6, linear],
    ];
    for (const [x, t, path] of cases) {
      const { alpha, sigma } = path.at(t);
      const w = new Float64Array(n);
      let sw = 0;
      for (let i = 0; i < n; i++) {
        const d0 = x[0]! - alpha * x1[2 * i]!;
        const d1 = x[1]! - alpha * x1[2 * i + 1]!;
        w[i] = Math.exp(-(d0 * d0 + d1 * d1) / (2 * sigma * sigma));
        sw += w[i]!;
      }
      const exact = gmm.denoisePoint(x, t, path);
      for (let j = 0; j < 2; j++) {
        let est = 0;
        for (let i = 0; i < n; i++) est += w[i]! * x1[2 * i + j]!;
        est /= sw;
        let v = 0;
        for (let i = 0; i < n; i++) v += w[i]! ** 2 * (x1[2 * i + j]! - est) ** 2;
        const se = Math.sqrt(v) / sw;
        expect(se).toBeLessThan(0.005); // the check is informative
        expect(Math.abs(est - exact[j]!)).toBeLessThan(5 * se + 1e-6);
      }
    }
  });

  it('returns ≈ x near the data end (σ → 0) and exactly x at t = 1 when std > 0', () => {
    const x = [0.7, -0.4];
    for (const path of paths) {
      expect(maxAbsDiff(gmm.denoisePoint(x, 1, path), x)).toBeLessThan(1e-12);
      expect(maxAbsDiff(gmm.denoisePoint(x, 1 - 1e-7, path), x)).toBeLessThan(1e-4);
    }
    const xt = tf.tensor2d([x]);
    const t = tf.tensor1d([1 - 1e-4]);
    const d = gmm.denoise(xt, t, linear); // σ = 1e-4
    expect(maxAbsDiff(d.dataSync(), x)).toBeLessThan(1e-4);
    tf.dispose([xt, t, d]);
  });

  it('returns the mixture mean at t = 0 (follmer: x_0 carries no information)', () => {
    for (const x of [[0, 0], [3, -2], [-10, 4]]) {
      expect(maxAbsDiff(gmm.denoisePoint(x, 0, follmer), mixMean)).toBeLessThan(1e-12);
    }
    const xt = tf.tensor2d([[3, -2], [-10, 4]]);
    const t = tf.zeros([2]) as tf.Tensor1D;
    const d = gmm.denoise(xt, t);
    expect(maxAbsDiff(d.dataSync(), [...mixMean, ...mixMean])).toBeLessThan(1e-6);
    tf.dispose([xt, t, d]);
  });

  it('for one component N(μ, s²I) is affine: D(x) = μ + α s²/(α² s² + σ²)·(x − α μ)', () => {
    const mu = [0.5, -1, 2];
    const s = 0.4;
    const g = new GaussianMixture({ means: [mu], std: s });
    const rng = new Rng(5);
    for (const path of paths) {
      for (const t of [0.1, 0.45, 0.9]) {
        const { alpha, sigma } = path.at(t);
        const slope = (alpha * s * s) / (alpha * alpha * s * s + sigma * sigma);
        for (let r = 0; r < 4; r++) {
          const x = Array.from(rng.normalArray(3), (v) => 2 * v);
          const want = mu.map((m, j) => m + slope * (x[j]! - alpha * m));
          expect(maxAbsDiff(g.denoisePoint(x, t, path), want)).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('point masses (std 0) denoise to the posterior-weighted mean of the atoms', () => {
    const g = new GaussianMixture({ means: [[-1], [1]], std: 0 });
    // follmer at t: x_t | k ~ N(α μ_k, σ²): E = tanh(α x / σ²)
    for (const [x, t] of [[0.3, 0.5], [-0.2, 0.8], [1.5, 0.3]] as const) {
      const { alpha, sigma } = follmer.at(t);
      expect(g.denoisePoint([x], t)[0]).toBeCloseTo(Math.tanh((alpha * x) / (sigma * sigma)), 12);
    }
  });

  it('denoise accepts [batch, ...dims] with prod(dims) = dim and rejects bad shapes', () => {
    const g4 = new GaussianMixture({ means: [[0, 1, 2, 3]], std: 0.5 });
    const x = tf.ones([2, 2, 2]);
    const t = tf.tensor1d([0.3, 0.6]);
    const d = g4.denoise(x, t);
    expect(d.shape).toEqual([2, 2, 2]);
    const want = g4.denoisePoint([1, 1, 1, 1], 0.6);
    expect(maxAbsDiff(d.dataSync().subarray(4), want)).toBeLessThan(1e-5);
    const x3 = tf.ones([2, 3]);
    expect(() => g4.denoise(x3, t)).toThrow(ShapeError);
    const t3 = tf.tensor1d([0.1, 0.2, 0.3]);
    try {
      g4.denoise(x, t3);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ShapeError);
      expect((e as ShapeError).parameter).toBe('t');
    }
    const flat = tf.ones([4]);
    expect(() => g4.denoise(flat, t)).toThrow(ShapeError);
    tf.dispose([x, t, d, x3, t3, flat]);
  });

  it('velocityPoint at t = 0 (follmer) equals the data mean', () => {
    for (const x of [[0, 0], [2, 1], [-3, 5]]) {
      expect(maxAbsDiff(gmm.velocityPoint(x, 0, follmer), mixMean)).toBeLessThan(1e-12);
    }
  });

  it('fieldModel velocity (float32 tensors) agrees with velocityPoint (float64)', () => {
    const rng = new Rng(8);
    const B = 32;
    const xs = Array.from(rng.normalArray(B * 2));
    const ts = Array.from(rng.uniformArray(B, 0.05, 0.95));
    const x = tf.tensor2d(xs, [B, 2]);
    const t = tf.tensor1d(ts);
    for (const path of paths) {
      const model = gmm.fieldModel(path);
      expect(model.interpolant).toBe(path);
      const v = model.velocity(x, t);
      const want = new Float64Array(B * 2);
      for (let b = 0; b < B; b++) want.set(gmm.velocityPoint(xs.slice(2 * b, 2 * b + 2), ts[b]!, path), 2 * b);
      const scale = Math.max(1, ...Array.from(want, Math.abs));
      expect(maxAbsDiff(v.dataSync(), want)).toBeLessThan(1e-4 * scale);
      v.dispose();
    }
    tf.dispose([x, t]);
  });

  it('denoise, fieldModel.denoise and fieldModel.velocity leak no tensors', () => {
    const x = tf.randomNormal([8, 2]);
    const t = tf.fill([8], 0.4) as tf.Tensor1D;
    const before = tf.memory().numTensors;
    const model = gmm.fieldModel('cosine');
    const outs = [gmm.denoise(x, t), gmm.denoise(x, t, 'linear'), model.denoise(x, t), model.velocity(x, t)];
    expect(tf.memory().numTensors).toBe(before + outs.length);
    tf.dispose(outs);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, t]);
  });
});

describe('exactFlow', () => {
  const starts = [0.3, -0.2, 1.5, 2, -2, 0.1, 0, 0, -0.7, 1.1];

  it('agrees with itself at twice the steps to < 1e-8 on [0, 0.999]', () => {
    for (const path of paths) {
      const a = gmm.exactFlow(starts, 0, 0.999, { interpolant: path });
      const b = gmm.exactFlow(starts, 0, 0.999, { interpolant: path, steps: 4000 });
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-8);
      // and it actually moved the points
      expect(maxAbsDiff(a, starts)).toBeGreaterThan(0.1);
    }
  });

  it('matches the closed-form flow of a single Gaussian to 1e-9', () => {
    const mu = [0.5, -1];
    const s = 0.4;
    const g = new GaussianMixture({ means: [mu], std: s });
    for (const path of paths) {
      for (const [t0, t1] of [[0, 0.999], [0.2, 0.7], [0.9, 0.1]] as const) {
        const out = g.exactFlow(starts, t0, t1, { interpolant: path });
        const c0 = path.at(t0);
        const c1 = path.at(t1);
        const m = (c: { alpha: number; sigma: number }) => Math.sqrt(c.alpha ** 2 * s * s + c.sigma ** 2);
        const want = starts.map((x0, i) => {
          const mj = mu[i % 2]!;
          return c1.alpha * mj + (m(c1) / m(c0)) * (x0 - c0.alpha * mj);
        });
        expect(maxAbsDiff(out, want)).toBeLessThan(1e-9);
      }
    }
  });

  it('is invertible: flowing forward then backward returns the start', () => {
    const fwd = gmm.exactFlow(starts, 0.05, 0.95);
    const back = gmm.exactFlow(fwd, 0.95, 0.05);
    expect(maxAbsDiff(back, starts)).toBeLessThan(1e-8);
    expect(Array.from(gmm.exactFlow(starts, 0.5, 0.5))).toEqual(starts);
  });

  it('pushes 4000 prior samples onto the mixture: mean, std and mode weights match at t = 0.999', () => {
    const n = 4000;
    const z = new Rng(2024).normalArray(2 * n);
    const t1 = 0.999;
    // 100 RK4 steps are far more accurate than the statistical tolerance used here.
    const x = gmm.exactFlow(z, 0, t1, { steps: 100 });
    const { alpha, sigma } = follmer.at(t1);
    for (let j = 0; j < 2; j++) {
      const wantMean = alpha * mixMean[j]!;
      const wantVar = alpha * alpha * mixVar[j]! + sigma * sigma;
      let m = 0;
      for (let i = 0; i < n; i++) m += x[2 * i + j]!;
      m /= n;
      let v = 0;
      let m4 = 0;
      for (let i = 0; i < n; i++) {
        const d = x[2 * i + j]! - m;
        v += d * d;
        m4 += d ** 4;
      }
      v /= n;
      m4 /= n;
      const seVar = Math.sqrt((m4 - v * v) / n);
      expect(Math.abs(m - wantMean)).toBeLessThan(4 * Math.sqrt(wantVar / n));
      expect(Math.abs(v - wantVar)).toBeLessThan(4 * seVar);
    }
    // mode weights: the left component (x < 0) has weight 0.3
    let left = 0;
    for (let i = 0; i < n; i++) if (x[2 * i]! < 0) left++;
    expect(Math.abs(left / n - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / n));
  });

  it('reaches the data end t = 1: finite, and within 1e-6 of an independent solve in time to 1 − 1e-9', () => {
    for (const path of paths) {
      const end = gmm.exactFlow(starts, 0, 1, { interpolant: path });
      expect(end.every(Number.isFinite)).toBe(true);
      // independent route: RK4 in t itself (no change of variable) on 8000 Karras steps to τ = 1e-9,
      // where the remaining path to t = 1 is ~1e-9·|v| long
      const near = gmm.exactFlow(starts, 0, 1 - 1e-9, { interpolant: path, steps: 8000 });
      expect(maxAbsDiff(end, near)).toBeLessThan(1e-6);
      if (path === follmer) expect(maxAbsDiff(end, gmm.exactFlow(starts, 0, 1, { steps: 4000 }))).toBeLessThan(1e-9);
    }
  });

  it('to and from t = 1 matches the closed-form flow of a single Gaussian to 1e-9', () => {
    const mu = [0.5, -1];
    const s = 0.05;
    const g = new GaussianMixture({ means: [mu], std: s });
    for (const path of paths) {
      for (const [t0, t1] of [[0, 1], [0.95, 1], [1, 0.2], [1, 0.97]] as const) {
        const out = g.exactFlow(starts, t0, t1, { interpolant: path });
        const c0 = path.at(t0);
        const c1 = path.at(t1);
        const m = (c: { alpha: number; sigma: number }) => Math.sqrt(c.alpha ** 2 * s * s + c.sigma ** 2);
        const want = starts.map((x0, i) => c1.alpha * mu[i % 2]! + (m(c1) / m(c0)) * (x0 - c0.alpha * mu[i % 2]!));
        expect(maxAbsDiff(out, want)).toBeLessThan(1e-9);
      }
    }
  });

  it('from t = 1 back to the noise end inverts the flow to t = 1', () => {
    const end = gmm.exactFlow(starts, 0.3, 1);
    expect(maxAbsDiff(gmm.exactFlow(end, 1, 0.3), starts)).toBeLessThan(1e-8);
  });

  it('point masses (std 0): the flow to t = 1 lands on a mean; from t = 1 it is a named error', () => {
    const points = new GaussianMixture({ means: [[-1, 0.5], [2, -1]], std: 0 });
    const end = points.exactFlow(starts, 0, 1);
    const atoms = [[-1, 0.5], [2, -1]];
    for (let p = 0; p < starts.length / 2; p++) {
      // z = (0, 0) at t = 0 is on the bisector of the two equal-weight atoms and stays on it: it ends at their midpoint
      const targets = starts[2 * p] === 0 && starts[2 * p + 1] === 0 ? [[0.5, -0.25]] : atoms;
      const d = Math.min(...targets.map(([a, b]) => Math.hypot(end[2 * p]! - a!, end[2 * p + 1]! - b!)));
      expect(d).toBeLessThan(1e-9);
    }
    expect(() => points.exactFlow(starts, 1, 0.5)).toThrow(ValueRangeError);
  });

  it('validates its arguments', () => {
    expect(() => gmm.exactFlow([1, 2, 3], 0, 0.5)).toThrow(ShapeError);
    expect(() => gmm.exactFlow([1, 2], -0.1, 0.5)).toThrow(ValueRangeError);
    expect(() => gmm.exactFlow([1, 2], 0, 1.5)).toThrow(ValueRangeError);
    expect(() => gmm.exactFlow([1, 2], 0, 1 + 1e-12)).toThrow(/t1 must be .* in \[0, 1\]/);
    expect(() => gmm.exactFlow([1, 2], Number.NaN, 1)).toThrow(ValueRangeError);
    expect(() => gmm.exactFlow([1, 2], 0, 0.5, { steps: 0 })).toThrow(ValueRangeError);
  });
});
