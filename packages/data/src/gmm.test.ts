import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, follmer } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GMM_MEANS, GMM_STD, getTarget, gmmMoments, meanStd } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('gmm target', () => {
  it('has exact moments mean 0, std 1.3 per coordinate, and an isotropic normalised mixture', () => {
    const { mean, std } = gmmMoments();
    expect(Math.abs(mean[0])).toBeLessThan(1e-15);
    expect(Math.abs(mean[1])).toBeLessThan(1e-15);
    expect(std[0]).toBeCloseTo(1.3, 14);
    expect(std[1]).toBeCloseTo(1.3, 14);
    const t = getTarget('gmm');
    expect(t.normalisation).toEqual({ mean, std });
    expect(t.exact.std).toBeCloseTo(GMM_STD / 1.3, 14);
    t.exact.means.forEach((m, k) => {
      expect(m[0]).toBeCloseTo(GMM_MEANS[k]![0] / 1.3, 14);
      expect(m[1]).toBeCloseTo(GMM_MEANS[k]![1] / 1.3, 14);
    });
    expect(t.exact.weights).toEqual(t.raw.weights);
    // the normalised mixture's own moments: Σ w μ = 0, s² + Σ w μ_j² = 1
    const m2 = [0, 1].map((j) => t.exact.std ** 2 + t.exact.means.reduce((a, m, k) => a + t.exact.weights[k]! * m[j]! ** 2, 0));
    expect(m2[0]).toBeCloseTo(1, 12);
    expect(m2[1]).toBeCloseTo(1, 12);
  });

  it('exact is the law of the normalised samples (moments of a large sample)', () => {
    const n = 200_000;
    const x = getTarget('gmm').sampleArray(n, new Rng(5));
    const { mean, std } = meanStd(x, 2);
    for (let j = 0; j < 2; j++) {
      expect(Math.abs(mean[j]!)).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(std[j]! - 1)).toBeLessThan(5 / Math.sqrt(n));
    }
    // the normalised draws and the exact mixture's own draws share their seeded component/noise sequence
    const own = getTarget('gmm').exact.sample(1000, new Rng(5));
    const ours = getTarget('gmm').sampleArray(1000, new Rng(5));
    own.forEach((v, i) => expect(Math.abs(v - ours[i]!)).toBeLessThan(1e-6));
  });

  it('exact.denoise matches a Monte-Carlo posterior mean E[x1 | x_t = x] at a few points', () => {
    const t = getTarget('gmm');
    const n = 400_000;
    const x1 = t.sampleArray(n, new Rng(6));
    const cases: [number, number, number][] = [
      [0.5, -0.3, 0.4],
      [1.2, 0.7, 0.7],
      [-0.8, 1.1, 0.85],
    ];
    const xs = tf.tensor2d(cases.map(([a, b]) => [a, b]));
    const ts = tf.tensor1d(cases.map((c) => c[2]));
    const exact = t.exact.denoise(xs, ts, follmer).arraySync() as number[][];
    tf.dispose([xs, ts]);
    cases.forEach(([px, py, time], c) => {
      const { alpha, sigma } = follmer.at(time);
      // self-normalised importance sampling with the data law as proposal: w ∝ N(x; α x1, σ² I)
      let sw = 0;
      let sw2 = 0;
      const acc = [0, 0];
      const acc2 = [0, 0];
      for (let i = 0; i < n; i++) {
        const a = x1[2 * i]!;
        const b = x1[2 * i + 1]!;
        const w = Math.exp(-((px - alpha * a) ** 2 + (py - alpha * b) ** 2) / (2 * sigma * sigma));
        sw += w;
        sw2 += w * w;
        acc[0]! += w * a;
        acc[1]! += w * b;
        acc2[0]! += w * a * a;
        acc2[1]! += w * b * b;
      }
      const ess = (sw * sw) / sw2;
      for (let j = 0; j < 2; j++) {
        const mc = acc[j]! / sw;
        const se = Math.sqrt(Math.max(acc2[j]! / sw - mc * mc, 0) / ess);
        expect(Math.abs(exact[c]![j]! - mc), `case ${c}, coordinate ${j}`).toBeLessThan(5 * se + 1e-5);
      }
      // and the float64 point version agrees with the tensor version
      const point = t.exact.denoisePoint([px, py], time, follmer);
      expect(Math.abs(point[0]! - exact[c]![0]!)).toBeLessThan(1e-5);
      expect(Math.abs(point[1]! - exact[c]![1]!)).toBeLessThan(1e-5);
    });
  });
});
