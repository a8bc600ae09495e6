// Shared by the *.test.ts files (not part of the published build).
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@charlearn/core';
import { expect } from 'vitest';
import type { MlpSpec } from './mlp-config';
import type { NamedArrays, Network, NetworkSpec } from './network';

/** max |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Every weight replaced by seeded uniform(−scale, scale) values (so no layer is zero). */
export function randomizeWeights(net: Network, seed: number, scale = 0.5): void {
  const rng = new Rng(seed);
  const w = net.getWeights();
  for (const entry of Object.values(w)) entry.values = rng.uniformArray(entry.values.length, -scale, scale);
  net.setWeights(w);
}

/** Runs `net.apply` and returns the output values (disposing the tensors it made). */
export function applyValues(net: Network, x: Float32Array, c: Float32Array, cs?: Float32Array): Float32Array {
  return tf.tidy(() => {
    const batch = c.length;
    const xt = tf.tensor2d(x, [batch, x.length / batch]);
    const out = net.apply(xt, tf.tensor1d(c), cs ? tf.tensor1d(cs) : undefined);
    return out.dataSync() as Float32Array;
  });
}

// ------------------------------------------------------------ float64 reference

/** erf to ~1e-7 relative (Numerical Recipes erfc, Chebyshev), smooth. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

function act(v: number, a: MlpSpec['activation']): number {
  switch (a) {
    case 'silu':
      return v / (1 + Math.exp(-v));
    case 'relu':
      return Math.max(0, v);
    case 'tanh':
      return Math.tanh(v);
    case 'gelu':
      return 0.5 * v * (1 + erf(v / Math.SQRT2));
  }
}

type Weights64 = Record<string, { shape: number[]; values: ArrayLike<number> }>;

function linear(v: number[], w: { shape: number[]; values: ArrayLike<number> }, b?: { values: ArrayLike<number> }): number[] {
  const [n, m] = w.shape as [number, number];
  const out = new Array<number>(m).fill(0);
  for (let j = 0; j < m; j++) {
    let s = b ? b.values[j]! : 0;
    for (let i = 0; i < n; i++) s += v[i]! * w.values[i * m + j]!;
    out[j] = s;
  }
  return out;
}

/**
 * The MLP of `mlp.ts` written out independently in float64 JS, one sample
 * at a time: `x [batch·dim]`, `c`, `cs [batch]` → `[batch·dim]`.
 */
export function referenceMlp(spec: MlpSpec, w: Weights64 | NamedArrays, x: ArrayLike<number>, c: ArrayLike<number>, cs?: ArrayLike<number>): Float64Array {
  const { dim, hidden, activation: a, timeEmbeddingDim: e, maxPeriod } = spec;
  const half = e / 2;
  const freqs = Array.from({ length: half }, (_, k) => Math.exp((-Math.log(maxPeriod) * k) / half));
  const g = (name: string) => w[name]!;
  const timeFeatures = (prefix: string, ct: number) => {
    const emb = [...freqs.map((f) => Math.sin(ct * f)), ...freqs.map((f) => Math.cos(ct * f))];
    return linear(linear(emb, g(`${prefix}/w0`), g(`${prefix}/b0`)).map((v) => act(v, a)), g(`${prefix}/w1`));
  };
  const out = new Float64Array(c.length * dim);
  for (let b = 0; b < c.length; b++) {
    const xb = Array.from({ length: dim }, (_, j) => x[b * dim + j]!);
    let pre = linear(xb, g('in/w'), g('in/b'));
    const tt = timeFeatures('temb', c[b]!);
    pre = pre.map((v, j) => v + tt[j]!);
    if (cs) {
      const ts = timeFeatures('temb_s', cs[b]!);
      pre = pre.map((v, j) => v + ts[j]!);
    }
    let h = pre.map((v) => act(v, a));
    for (let i = 0; i + 1 < hidden.length; i++) h = linear(h, g(`h${i}/w`), g(`h${i}/b`)).map((v) => act(v, a));
    out.set(linear(h, g('out/w'), g('out/b')), b * dim);
  }
  return out;
}

/** The tiny 8×8×1 U-Net of the image-network tests (2 levels, attention at 4×4). */
export const TINY_UNET: NetworkSpec = {
  kind: 'unet',
  sampleShape: [8, 8, 1],
  channels: 8,
  channelMult: [1, 2],
  numResBlocks: 1,
  attentionResolutions: [4],
  heads: 2,
  groups: 4,
  embedDim: 16,
  timeEmbeddingDim: 8,
};

/** The tiny 8×8×1 DiT of the image-network tests (patch 2, hidden 16, depth 2). */
export const TINY_DIT: NetworkSpec = { kind: 'dit', sampleShape: [8, 8, 1], patchSize: 2, hidden: 16, depth: 2, heads: 2, mlpRatio: 2, timeEmbeddingDim: 8 };
