// The U-Net / DiT building blocks against plain-JS float64 references
// written out loop by loop, on wasm.
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { Rng, useBackend } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { downsample2x, geluTanh, groupNorm, layerNormNoAffine, selfAttention, sinCosPositions2d, upsample2x } from './index';
import { maxAbsDiff } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

const [B, H, W, C] = [2, 4, 6, 4];
const at = (b: number, i: number, j: number, c: number, h = H, w = W, ch = C) => ((b * h + i) * w + j) * ch + c;

describe('image layers', () => {
  const x = new Rng(1).normalArray(B * H * W * C);
  const xt = () => tf.tensor4d(x, [B, H, W, C]);

  it('downsample2x is the 2x2 mean, upsample2x repeats each pixel 2x2', () => {
    const down = tf.tidy(() => downsample2x(xt()).dataSync());
    const want = new Float32Array(B * (H / 2) * (W / 2) * C);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < H / 2; i++)
        for (let j = 0; j < W / 2; j++)
          for (let c = 0; c < C; c++) {
            const s = x[at(b, 2 * i, 2 * j, c)]! + x[at(b, 2 * i + 1, 2 * j, c)]! + x[at(b, 2 * i, 2 * j + 1, c)]! + x[at(b, 2 * i + 1, 2 * j + 1, c)]!;
            want[at(b, i, j, c, H / 2, W / 2)] = s / 4;
          }
    expect(maxAbsDiff(down, want)).toBeLessThan(1e-6);
    const up = tf.tidy(() => upsample2x(xt()).dataSync());
    for (let b = 0; b < B; b++)
      for (let i = 0; i < 2 * H; i++)
        for (let j = 0; j < 2 * W; j++) for (let c = 0; c < C; c++) expect(up[at(b, i, j, c, 2 * H, 2 * W)]).toBe(x[at(b, i >> 1, j >> 1, c)]);
  });

  it('groupNorm normalises each (sample, group) over h, w and its channels, then applies gamma, beta', () => {
    const groups = 2;
    const gamma = [1, 2, 3, 4];
    const beta = [0.5, -0.5, 0, 1];
    const got = tf.tidy(() => groupNorm(xt(), tf.tensor1d(gamma), tf.tensor1d(beta), groups).dataSync());
    const want = new Float64Array(x.length);
    const per = C / groups;
    for (let b = 0; b < B; b++)
      for (let g = 0; g < groups; g++) {
        const idx: number[] = [];
        for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) for (let c = g * per; c < (g + 1) * per; c++) idx.push(at(b, i, j, c));
        const mu = idx.reduce((s, k) => s + x[k]!, 0) / idx.length;
        const v = idx.reduce((s, k) => s + (x[k]! - mu) ** 2, 0) / idx.length;
        for (const k of idx) want[k] = ((x[k]! - mu) / Math.sqrt(v + 1e-6)) * gamma[k % C]! + beta[k % C]!;
      }
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
  });

  it("groupNorm's closed-form gradient equals autodiff of the plain formula and finite differences", () => {
    const groups = 2;
    const gammaV = [1, 2, -3, 0.5];
    const betaV = [0.5, -0.5, 0, 1];
    // y = groupNorm(x)·weights, summed: a scalar whose gradient reaches every input.
    const weights = tf.tensor4d(new Rng(9).normalArray(B * H * W * C), [B, H, W, C]);
    const plain = (xx: tf.Tensor, gm: tf.Tensor, bt: tf.Tensor): tf.Scalar => {
      const g = tf.reshape(xx, [B, H * W, groups, C / groups]);
      const xc = tf.sub(g, tf.mean(g, [1, 3], true));
      const normed = tf.reshape(tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), [1, 3], true), 1e-6))), [B, H, W, C]);
      return tf.sum(tf.mul(tf.add(tf.mul(normed, gm), bt), weights));
    };
    const ours = (xx: tf.Tensor, gm: tf.Tensor, bt: tf.Tensor): tf.Scalar => tf.sum(tf.mul(groupNorm(xx as tf.Tensor4D, gm, bt, groups), weights));
    const inputs = () => [xt(), tf.tensor1d(gammaV), tf.tensor1d(betaV)] as const;
    const before = tf.memory().numTensors;
    const [gx, gg, gb] = tf.tidy(() => tf.grads((a, b, c) => ours(a!, b!, c!))([...inputs()]).map((t) => t.dataSync()));
    const [wx, wg, wb] = tf.tidy(() => tf.grads((a, b, c) => plain(a!, b!, c!))([...inputs()]).map((t) => t.dataSync()));
    expect(tf.memory().numTensors).toBe(before + 0);
    expect(maxAbsDiff(gx!, wx!)).toBeLessThan(2e-5);
    expect(maxAbsDiff(gg!, wg!)).toBeLessThan(2e-5);
    expect(maxAbsDiff(gb!, wb!)).toBeLessThan(2e-5);
    // Central differences on a few entries of x and gamma (float64 reference of the plain formula would be overkill).
    const f = (dx: number[], dg: number[]): number =>
      tf.tidy(() => ours(tf.add(xt(), tf.tensor4d(dx, [B, H, W, C])), tf.tensor1d(gammaV.map((v, i) => v + dg[i]!)), tf.tensor1d(betaV)).dataSync()[0]!);
    const h = 1e-2;
    for (const k of [0, 7, 31, 50, B * H * W * C - 1]) {
      const e = Array(B * H * W * C).fill(0);
      e[k] = h;
      const fd = (f(e, [0, 0, 0, 0]) - f(e.map((v) => -v), [0, 0, 0, 0])) / (2 * h);
      expect(Math.abs(fd - gx![k]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
    }
    for (let c = 0; c < C; c++) {
      const e = [0, 0, 0, 0];
      e[c] = h;
      const zero = Array(B * H * W * C).fill(0);
      const fd = (f(zero, e) - f(zero, e.map((v) => -v))) / (2 * h);
      expect(Math.abs(fd - gg![c]!)).toBeLessThan(1e-2 * Math.max(1, Math.abs(fd)));
    }
    weights.dispose();
  });

  it('layerNormNoAffine and geluTanh match their formulas', () => {
    const ln = tf.tidy(() => layerNormNoAffine(tf.tensor2d(x, [B * H * W, C])).dataSync());
    for (let r = 0; r < B * H * W; r++) {
      const row = Array.from(x.slice(r * C, (r + 1) * C));
      const mu = row.reduce((a, b) => a + b) / C;
      const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / C;
      row.forEach((val, c) => expect(ln[r * C + c]).toBeCloseTo((val - mu) / Math.sqrt(v + 1e-6), 4));
    }
    const g = tf.tidy(() => geluTanh(tf.tensor1d([-3, -1, 0, 0.5, 2])).dataSync());
    [-3, -1, 0, 0.5, 2].forEach((v, i) => expect(g[i]).toBeCloseTo(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), 5));
  });

  it.each([1, 2])('selfAttention with %i head(s) equals per-head softmax(q kᵀ/√d) v', (heads) => {
    const [b, n, c] = [2, 5, 4];
    const qkv = new Rng(3).normalArray(b * n * 3 * c);
    const got = tf.tidy(() => selfAttention(tf.tensor2d(qkv, [b * n, 3 * c]), b, n, heads).dataSync());
    const d = c / heads;
    const want = new Float64Array(b * n * c);
    const get = (bb: number, t: number, part: number, hh: number, k: number) => qkv[(bb * n + t) * 3 * c + part * c + hh * d + k]!;
    for (let bb = 0; bb < b; bb++)
      for (let hh = 0; hh < heads; hh++)
        for (let t = 0; t < n; t++) {
          const s = Array.from({ length: n }, (_, u) => {
            let dot = 0;
            for (let k = 0; k < d; k++) dot += get(bb, t, 0, hh, k) * get(bb, u, 1, hh, k);
            return dot / Math.sqrt(d);
          });
          const m = Math.max(...s);
          const e = s.map((z) => Math.exp(z - m));
          const z = e.reduce((a, q) => a + q);
          for (let k = 0; k < d; k++) want[(bb * n + t) * c + hh * d + k] = e.reduce((acc, p, u) => acc + (p / z) * get(bb, u, 2, hh, k), 0);
        }
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
  });

  it('sinCosPositions2d: row features depend on the row only, column features on the column only', () => {
    const d = 8;
    const p = sinCosPositions2d(3, 4, d);
    expect(p.length).toBe(12 * d);
    expect(p[(1 * 4 + 2) * d + 0]).toBeCloseTo(Math.sin(1), 6); // row 1, k = 0
    expect(p[(1 * 4 + 2) * d + 4]).toBeCloseTo(Math.sin(2), 6); // column 2, k = 0
    expect(p[(1 * 4 + 2) * d + 3]).toBeCloseTo(Math.cos(1 / 100), 6); // row 1, k = 1: ω = 10000^(−1/2)
  });
});
