// One time for the whole batch (`isUniformBatch`): the MLP computes its time features on one row and broadcasts
// them. These tests check that the shortcut gives the per-row numbers (values and gradients) to float32 rounding,
// that per-row times are computed exactly as before, and that the shortcut really runs the time MLP on one row.
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { CharlearnError, isUniformBatch, Rng, uniformBatch, useBackend } from '@charlearn/core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { biasActivated, createMlp, dense, denseActivated, sinusoidalEmbedding, sinusoidalFrequencies, type Activation, type Mlp } from './index';
import { maxAbsDiff, randomizeWeights } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

const BATCH = 37;

/** A net with every weight random (so the `s` path's last layer is not zero). */
function randomNet(twoTime: boolean, activation: Activation, seed: number): Mlp {
  const net = createMlp({ dim: 3, hidden: [48, 40, 32], activation, twoTime, timeEmbeddingDim: 16, timeHidden: 24, seed });
  randomizeWeights(net, seed + 100, 0.4);
  return net;
}

function inputs(seed: number): Float32Array {
  return new Rng(seed).normalArray(BATCH * 3);
}

/** `apply` with the times as given (marked or not), read back. */
function run(net: Mlp, x: Float32Array, c: () => Tensor1D, cs?: () => Tensor1D): Float32Array {
  return tf.tidy(() => net.apply(tf.tensor2d(x, [BATCH, 3]), c(), cs?.()).dataSync() as Float32Array);
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Unmarked `[BATCH]` tensor of one value: the per-row path. */
const perRow = (value: number) => () => tf.fill([BATCH], value) as Tensor1D;
/** Marked `[BATCH]` tensor of one value: the shared-time path. */
const shared = (value: number) => () => uniformBatch(BATCH, value);

describe('one time for the batch (isUniformBatch)', () => {
  it('marks only the tensors built as one value: uniformBatch, not tf.fill, a clone or a reshape', () => {
    const u = uniformBatch(4, 2.5);
    expect(isUniformBatch(u)).toBe(true);
    expect(Array.from(u.dataSync())).toEqual([2.5, 2.5, 2.5, 2.5]);
    const others = [tf.fill([4], 2.5), tf.clone(u), tf.reshape(u, [4]), tf.reshape(u, [2, 2])];
    expect(others.map((t) => isUniformBatch(t))).toEqual([false, false, false, false]);
    tf.dispose([u, ...others]);
  });

  it('rejects a bad batch or value with a named error before allocating a tensor', () => {
    const before = tf.memory().numTensors;
    for (const [batch, value] of [[0, 1], [2.5, 1], [3, Number.NaN]] as const) {
      expect(() => uniformBatch(batch, value)).toThrow(CharlearnError);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const activation of ['silu', 'relu', 'tanh', 'gelu'] as const) {
    it(`gives the per-row outputs to float32 rounding (${activation}; one-time, two-time, mixed)`, () => {
      const x = inputs(3);
      const one = randomNet(false, activation, 1);
      const two = randomNet(true, activation, 2);
      const sRows = () => tf.tensor1d(new Rng(9).uniformArray(BATCH, 0, 999));
      const cases: [Float32Array, Float32Array][] = [
        [run(one, x, shared(412.5)), run(one, x, perRow(412.5))],
        [run(one, x, shared(0)), run(one, x, perRow(0))],
        [run(two, x, shared(998.001), shared(0)), run(two, x, perRow(998.001), perRow(0))],
        [run(two, x, shared(37), sRows), run(two, x, perRow(37), sRows)],
        [run(two, x, sRows, shared(500)), run(two, x, sRows, perRow(500))],
      ];
      for (const [fast, rows] of cases) {
        expect(maxAbs(rows)).toBeGreaterThan(0.1);
        expect(maxAbsDiff(fast, rows)).toBeLessThanOrEqual(1e-6 * maxAbs(rows));
      }
      one.dispose();
      two.dispose();
    });
  }

  it('gives the per-row gradients (every variable and the input) to float32 rounding', () => {
    const net = randomNet(true, 'silu', 4);
    const x = tf.tensor2d(inputs(5), [BATCH, 3]);
    const r = tf.tensor2d(new Rng(6).normalArray(BATCH * 3), [BATCH, 3]);
    const grads = (c: () => Tensor1D, cs: () => Tensor1D) =>
      tf.tidy(() => {
        const { grads: g } = tf.variableGrads(() => tf.sum(tf.mul(net.apply(x, c(), cs()), r)) as tf.Scalar, net.trainableVariables());
        const dx = tf.grad((xi: Tensor) => tf.sum(tf.mul(net.apply(xi, c(), cs()), r)))(x);
        const out: Record<string, Float32Array> = { xIn: dx.dataSync() as Float32Array };
        for (const [name, v] of Object.entries(net.namedVariables())) out[name] = g[v.name]!.dataSync() as Float32Array;
        return out;
      });
    const before = tf.memory().numTensors;
    const fast = grads(shared(250), shared(3));
    const rows = grads(perRow(250), perRow(3));
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(fast)).toEqual(Object.keys(rows));
    for (const name of Object.keys(rows)) {
      expect(maxAbs(rows[name]!), name).toBeGreaterThan(0);
      expect(maxAbsDiff(fast[name]!, rows[name]!), name).toBeLessThanOrEqual(1e-6 * maxAbs(rows[name]!));
    }
    tf.dispose([x, r]);
    net.dispose();
  });

  it('computes per-row times exactly as the per-row composition (bit for bit), for random batches', () => {
    for (const seed of [11, 12, 13]) {
      const net = randomNet(true, 'silu', seed);
      const v = net.namedVariables();
      const rng = new Rng(seed);
      const x = rng.normalArray(BATCH * 3);
      const c = rng.uniformArray(BATCH, 0, 999);
      const cs = rng.uniformArray(BATCH, 0, 999);
      const got = run(net, x, () => tf.tensor1d(c), () => tf.tensor1d(cs));
      const want = tf.tidy(() => {
        const freqs = tf.tensor2d(sinusoidalFrequencies(16, 10000), [1, 8]);
        const time = (ct: Tensor1D, p: string) => tf.matMul(denseActivated(sinusoidalEmbedding(ct, freqs), v[`${p}/w0`]!, v[`${p}/b0`]!, 'silu'), v[`${p}/w1`]!);
        const pre = tf.add(tf.add(tf.matMul(tf.tensor2d(x, [BATCH, 3]), v['in/w']!), time(tf.tensor1d(c), 'temb')), time(tf.tensor1d(cs), 'temb_s'));
        let h = biasActivated(pre, v['in/b']!, 'silu');
        for (let i = 0; i < 2; i++) h = denseActivated(h, v[`h${i}/w`]!, v[`h${i}/b`]!, 'silu');
        return dense(h, v['out/w']!, v['out/b']!).dataSync() as Float32Array;
      });
      expect(maxAbsDiff(got, want)).toBe(0);
      net.dispose();
    }
  });

  it('runs the time MLP on one row when the times are shared, on every row otherwise (kernel output shapes)', async () => {
    const net = randomNet(true, 'silu', 7);
    const x = tf.tensor2d(inputs(8), [BATCH, 3]);
    /** Output shapes of the kernels that produce time features (the second time-MLP layer: width 48 from 24). */
    const timeRows = async (c: () => Tensor1D, cs: () => Tensor1D) => {
      const info = await tf.profile(() => tf.tidy(() => net.apply(x, c(), cs())));
      tf.dispose(info.result as Tensor);
      return info.kernels.filter((k) => k.name === 'BatchMatMul' && k.inputShapes.some((s) => s?.[0] === 24 && s[1] === 48)).map((k) => k.outputShapes[0]);
    };
    expect(await timeRows(shared(1), shared(2))).toEqual([[1, 48], [1, 48]]);
    expect(await timeRows(perRow(1), perRow(2))).toEqual([[BATCH, 48], [BATCH, 48]]);
    expect(await timeRows(shared(1), perRow(2))).toEqual([[1, 48], [BATCH, 48]]);
    x.dispose();
    net.dispose();
  });

  it('leaks no tensor on the shared path, nor when the inputs are rejected', () => {
    const net = randomNet(true, 'silu', 9);
    const x = tf.tensor2d(inputs(10), [BATCH, 3]);
    const c = uniformBatch(BATCH, 5);
    const wrongBatch = uniformBatch(BATCH + 1, 5);
    const before = tf.memory().numTensors;
    const y = net.apply(x, c, c);
    expect(tf.memory().numTensors).toBe(before + 1);
    y.dispose();
    expect(() => net.apply(x, c)).toThrow(CharlearnError);
    expect(() => net.apply(x, wrongBatch, c)).toThrow(CharlearnError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, c, wrongBatch]);
    net.dispose();
  });
});
