// Op coverage audit for image networks (U-Net / DDPM++, DiT) trained on wasm:
// for every op those nets may use, the wasm forward and gradient are compared
// with the cpu backend's on the same inputs, and the wasm gradient with
// central finite differences (perturbation and difference quotient in float64
// on the JS side, loss linear in the op's output so that untouched outputs
// cancel exactly).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { liveCounts, on, rand, relErr } from './test-helpers';

/**
 * How an input is drawn: `normal` uniform(-1, 1); `positive` in [0.5, 2]
 * (log, sqrt, rsqrt, div); `awayFromZero` |v| in [0.2, 1] (relu, elu kinks);
 * `distinct` all `distinct` inputs of a case together are a shuffled grid of
 * well-separated values (max / maximum ties cannot flip under perturbation).
 */
type Dist = 'normal' | 'positive' | 'awayFromZero' | 'distinct';
interface Input {
  shape: number[];
  dist?: Dist;
}
interface OpCase {
  name: string;
  inputs: Input[];
  f: (...xs: tf.Tensor[]) => tf.Tensor;
  /** Why the cpu backend's gradient is no reference here; the wasm gradient is then checked against finite differences at every coordinate. */
  cpuGradWrong?: string;
}

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const I = (shape: number[], dist: Dist = 'normal'): Input => ({ shape, dist });
const t4 = (x: tf.Tensor) => x as tf.Tensor4D;
const t3 = (x: tf.Tensor) => x as tf.Tensor3D;

/** Nearest 2x upsampling through reshape + broadcast (what a U-Net may do instead of resizeNearestNeighbor). */
function upsampleBroadcast(x: tf.Tensor): tf.Tensor {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  return tf.reshape(tf.broadcastTo(tf.reshape(x, [b, h, 1, w, 1, c]), [b, h, 2, w, 2, c]), [b, 2 * h, 2 * w, c]);
}

/** GroupNorm over `groups` channel groups, NHWC, eps 1e-5. */
function groupNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number): tf.Tensor {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const g = tf.reshape(x, [b, h, w, groups, c / groups]);
  const { mean, variance } = tf.moments(g, [1, 2, 4], true);
  const n = tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  return tf.add(tf.mul(tf.reshape(n, [b, h, w, c]), gamma), beta);
}

/** Patchify [b, H, W, c] into [b, (H/p)(W/p), p*p*c] via reshape/transpose (DiT). */
function patchify(x: tf.Tensor, p: number): tf.Tensor {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const r = tf.transpose(tf.reshape(x, [b, h / p, p, w / p, p, c]), [0, 1, 3, 2, 4, 5]);
  return tf.reshape(r, [b, (h / p) * (w / p), p * p * c]);
}

/** Single-head attention softmax(q k^T / sqrt(d)) v on [b, heads, n, d]. */
function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const d = q.shape[q.rank - 1]!;
  return tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d))), v);
}

const CASES: OpCase[] = [
  // convolutions
  { name: 'conv2d 3x3 stride 1 same + bias', inputs: [I([2, 5, 5, 3]), I([3, 3, 3, 4]), I([4])], f: (x, w, b) => tf.add(tf.conv2d(t4(x), t4(w), 1, 'same'), b!) },
  { name: 'conv2d 3x3 stride 1 valid', inputs: [I([2, 6, 5, 2]), I([3, 3, 2, 3])], f: (x, w) => tf.conv2d(t4(x), t4(w), 1, 'valid') },
  { name: 'conv2d 3x3 stride 2 same', inputs: [I([2, 6, 6, 3]), I([3, 3, 3, 4])], f: (x, w) => tf.conv2d(t4(x), t4(w), 2, 'same') },
  { name: 'conv2d 3x3 stride 2 valid', inputs: [I([2, 7, 7, 2]), I([3, 3, 2, 3])], f: (x, w) => tf.conv2d(t4(x), t4(w), 2, 'valid') },
  { name: 'conv2d 1x1 + bias', inputs: [I([2, 4, 4, 5]), I([1, 1, 5, 3]), I([3])], f: (x, w, b) => tf.add(tf.conv2d(t4(x), t4(w), 1, 'valid'), b!) },
  { name: 'conv2dTranspose 3x3 stride 1 same', inputs: [I([2, 4, 4, 3]), I([3, 3, 2, 3])], f: (x, w) => tf.conv2dTranspose(t4(x), t4(w), [2, 4, 4, 2], 1, 'same') },
  { name: 'conv2dTranspose 3x3 stride 2 same', inputs: [I([2, 3, 3, 3]), I([3, 3, 2, 3])], f: (x, w) => tf.conv2dTranspose(t4(x), t4(w), [2, 6, 6, 2], 2, 'same') },
  { name: 'conv2dTranspose 2x2 stride 2 valid', inputs: [I([2, 3, 3, 3]), I([2, 2, 2, 3])], f: (x, w) => tf.conv2dTranspose(t4(x), t4(w), [2, 6, 6, 2], 2, 'valid') },
  { name: 'depthwiseConv2d 3x3 stride 1 same', inputs: [I([2, 5, 5, 3]), I([3, 3, 3, 1])], f: (x, w) => tf.depthwiseConv2d(t4(x), t4(w), 1, 'same') },
  { name: 'depthwiseConv2d 3x3 stride 1 valid, multiplier 2', inputs: [I([2, 6, 5, 2]), I([3, 3, 2, 2])], f: (x, w) => tf.depthwiseConv2d(t4(x), t4(w), 1, 'valid') },
  { name: 'depthwiseConv2d 3x3 stride 2 same, multiplier 2', inputs: [I([2, 7, 7, 2]), I([3, 3, 2, 2])], f: (x, w) => tf.depthwiseConv2d(t4(x), t4(w), 2, 'same') },
  { name: 'depthwiseConv2d 2x2 stride 2 valid', inputs: [I([1, 6, 6, 3]), I([2, 2, 3, 1])], f: (x, w) => tf.depthwiseConv2d(t4(x), t4(w), 2, 'valid') },
  // resampling and pooling
  { name: 'resizeNearestNeighbor 3x3 -> 6x6, batch 1', inputs: [I([1, 3, 3, 2])], f: (x) => tf.image.resizeNearestNeighbor(t4(x), [6, 6]) },
  { name: 'resizeNearestNeighbor 3x3 -> 5x7, batch 2', inputs: [I([2, 3, 3, 2])], f: (x) => tf.image.resizeNearestNeighbor(t4(x), [5, 7]), cpuGradWrong: 'tfjs-backend-cpu 4.22 ResizeNearestNeighborGrad offsets dy by the batch stride of images' },
  { name: 'resizeNearestNeighbor 4x4 -> 6x6, halfPixelCenters', inputs: [I([1, 4, 4, 2])], f: (x) => tf.image.resizeNearestNeighbor(t4(x), [6, 6], false, true), cpuGradWrong: 'tfjs-backend-cpu 4.22 ResizeNearestNeighborGrad ignores halfPixelCenters' },
  { name: 'resizeNearestNeighbor 5x5 -> 3x3, alignCorners', inputs: [I([1, 5, 5, 2])], f: (x) => tf.image.resizeNearestNeighbor(t4(x), [3, 3], true) },
  { name: 'nearest 2x upsampling via reshape + broadcastTo', inputs: [I([2, 3, 3, 2])], f: upsampleBroadcast },
  { name: 'nearest 2x upsampling via tile (rank 6)', inputs: [I([2, 3, 3, 2])], f: (x) => tf.reshape(tf.tile(tf.reshape(x, [2, 3, 1, 3, 1, 2]), [1, 1, 2, 1, 2, 1]), [2, 6, 6, 2]) },
  { name: 'avgPool 2x2 stride 2 valid', inputs: [I([2, 4, 4, 3])], f: (x) => tf.avgPool(t4(x), 2, 2, 'valid') },
  { name: 'avgPool 3x3 stride 1 same', inputs: [I([2, 4, 5, 2])], f: (x) => tf.avgPool(t4(x), 3, 1, 'same') },
  { name: 'avgPool 3x3 stride 2 same', inputs: [I([1, 5, 5, 2])], f: (x) => tf.avgPool(t4(x), 3, 2, 'same') },
  { name: 'maxPool 2x2 stride 2 valid', inputs: [I([2, 4, 4, 3], 'distinct')], f: (x) => tf.maxPool(t4(x), 2, 2, 'valid') },
  { name: 'maxPool 3x3 stride 2 same', inputs: [I([1, 5, 5, 2], 'distinct')], f: (x) => tf.maxPool(t4(x), 3, 2, 'same') },
  { name: '2x2 mean-pool via reshape + mean (rank 6)', inputs: [I([2, 4, 4, 3])], f: (x) => tf.mean(tf.reshape(x, [2, 2, 2, 2, 2, 3]), [2, 4]) },
  // matrix products
  { name: 'batchMatMul rank 3', inputs: [I([2, 3, 4]), I([2, 4, 5])], f: (a, b) => tf.matMul(a!, b!) },
  { name: 'batchMatMul rank 3, transposeA', inputs: [I([2, 4, 3]), I([2, 4, 5])], f: (a, b) => tf.matMul(a!, b!, true, false) },
  { name: 'batchMatMul rank 3, transposeB', inputs: [I([2, 3, 4]), I([2, 5, 4])], f: (a, b) => tf.matMul(a!, b!, false, true) },
  { name: 'batchMatMul rank 3, transposeA and B', inputs: [I([2, 4, 3]), I([2, 5, 4])], f: (a, b) => tf.matMul(a!, b!, true, true) },
  { name: 'batchMatMul rank 4', inputs: [I([2, 2, 3, 4]), I([2, 2, 4, 5])], f: (a, b) => tf.matMul(a!, b!) },
  { name: 'batchMatMul rank 4, transposeA', inputs: [I([2, 2, 4, 3]), I([2, 2, 4, 5])], f: (a, b) => tf.matMul(a!, b!, true, false) },
  { name: 'batchMatMul rank 4, transposeB', inputs: [I([2, 2, 3, 4]), I([2, 2, 5, 4])], f: (a, b) => tf.matMul(a!, b!, false, true) },
  { name: 'batchMatMul rank 4, transposeA and B', inputs: [I([2, 2, 4, 3]), I([2, 2, 5, 4])], f: (a, b) => tf.matMul(a!, b!, true, true) },
  { name: 'batchMatMul rank 4, broadcast batch [2,3] x [1,3]', inputs: [I([2, 3, 3, 4]), I([1, 3, 4, 2])], f: (a, b) => tf.matMul(a!, b!) },
  { name: 'attention softmax(q k^T / sqrt d) v, [b, heads, n, d]', inputs: [I([2, 2, 4, 3]), I([2, 2, 4, 3]), I([2, 2, 4, 3])], f: (q, k, v) => attention(q!, k!, v!) },
  // softmax and reductions
  { name: 'softmax last axis, rank 4', inputs: [I([2, 2, 3, 5])], f: (x) => tf.softmax(x!) },
  { name: 'logSoftmax last axis, rank 3', inputs: [I([2, 3, 5])], f: (x) => tf.logSoftmax(x!) },
  { name: 'mean inner axes [1, 2] keepDims, rank 4', inputs: [I([2, 3, 4, 5])], f: (x) => tf.mean(x!, [1, 2], true) },
  { name: 'mean outer axis 0, rank 4', inputs: [I([3, 2, 4, 5])], f: (x) => tf.mean(x!, 0) },
  { name: 'mean axes [1, 2, 4], rank 5 (GroupNorm)', inputs: [I([2, 3, 3, 2, 3])], f: (x) => tf.mean(x!, [1, 2, 4]) },
  { name: 'mean over all axes, rank 4', inputs: [I([2, 3, 3, 4])], f: (x) => tf.mean(x!) },
  { name: 'sum outer axes [0, 1], rank 4', inputs: [I([4, 5, 3, 2])], f: (x) => tf.sum(x!, [0, 1]) },
  { name: 'sum last axis, rank 5', inputs: [I([2, 2, 3, 2, 4])], f: (x) => tf.sum(x!, -1) },
  { name: 'sum axes [1, 3, 5], rank 6', inputs: [I([2, 2, 2, 3, 2, 2])], f: (x) => tf.sum(x!, [1, 3, 5]) },
  { name: 'max last axis, rank 4', inputs: [I([2, 2, 3, 4], 'distinct')], f: (x) => tf.max(x!, -1) },
  { name: 'moments axes [1, 2, 3] keepDims, rank 4', inputs: [I([2, 3, 3, 4])], f: (x) => { const m = tf.moments(x!, [1, 2, 3], true); return tf.concat([m.mean, m.variance], 3); } },
  { name: 'GroupNorm (reshape, moments, rsqrt, affine)', inputs: [I([2, 3, 3, 4]), I([4]), I([4])], f: (x, g, b) => groupNorm(x!, g!, b!, 2) },
  { name: 'LayerNorm + adaLN modulation [b, n, d]', inputs: [I([2, 4, 6]), I([2, 1, 6]), I([2, 1, 6])], f: (x, s, sh) => { const m = tf.moments(x!, -1, true); return tf.add(tf.mul(tf.div(tf.sub(x!, m.mean), tf.sqrt(tf.add(m.variance, 1e-6))), tf.add(s!, 1)), sh!); } },
  // element-wise
  { name: 'rsqrt', inputs: [I([2, 3, 4], 'positive')], f: (x) => tf.rsqrt(x!) },
  { name: 'sqrt', inputs: [I([2, 3, 4], 'positive')], f: (x) => tf.sqrt(x!) },
  { name: 'square', inputs: [I([2, 3, 4])], f: (x) => tf.square(x!) },
  { name: 'sigmoid', inputs: [I([2, 3, 4])], f: (x) => tf.sigmoid(x!) },
  { name: 'SiLU x * sigmoid(x)', inputs: [I([2, 3, 4])], f: (x) => tf.mul(x!, tf.sigmoid(x!)) },
  { name: 'tanh', inputs: [I([2, 3, 4])], f: (x) => tf.tanh(x!) },
  { name: 'GELU, tanh approximation (pow 3)', inputs: [I([2, 3, 4])], f: (x) => tf.mul(tf.mul(x!, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x!, tf.mul(0.044715, tf.pow(x!, 3))))))) },
  { name: 'GELU, exact (erf)', inputs: [I([2, 3, 4])], f: (x) => tf.mul(tf.mul(x!, 0.5), tf.add(1, tf.erf(tf.mul(x!, Math.SQRT1_2)))) },
  { name: 'exp', inputs: [I([2, 3, 4])], f: (x) => tf.exp(x!) },
  { name: 'log', inputs: [I([2, 3, 4], 'positive')], f: (x) => tf.log(x!) },
  { name: 'sin, cos (time embedding)', inputs: [I([2, 3, 4])], f: (x) => tf.concat([tf.sin(tf.mul(x!, 3)), tf.cos(tf.mul(x!, 3))], -1) },
  { name: 'erf', inputs: [I([2, 3, 4])], f: (x) => tf.erf(x!) },
  { name: 'relu', inputs: [I([2, 3, 4], 'awayFromZero')], f: (x) => tf.relu(x!) },
  { name: 'elu', inputs: [I([2, 3, 4], 'awayFromZero')], f: (x) => tf.elu(x!) },
  { name: 'maximum', inputs: [I([2, 3, 4], 'distinct'), I([2, 3, 4], 'distinct')], f: (a, b) => tf.maximum(a!, b!) },
  { name: 'neg, abs, clipByValue', inputs: [I([2, 3, 4], 'awayFromZero')], f: (x) => tf.add(tf.neg(tf.abs(x!)), tf.clipByValue(x!, -0.5, 0.5)) },
  // broadcasting arithmetic
  { name: 'add broadcast [2,3,4,5] + [5]', inputs: [I([2, 3, 4, 5]), I([5])], f: (a, b) => tf.add(a!, b!) },
  { name: 'mul broadcast [2,3,4,5] * [2,1,1,5]', inputs: [I([2, 3, 4, 5]), I([2, 1, 1, 5])], f: (a, b) => tf.mul(a!, b!) },
  { name: 'sub broadcast [2,1,4,1] - [2,3,4,5]', inputs: [I([2, 1, 4, 1]), I([2, 3, 4, 5])], f: (a, b) => tf.sub(a!, b!) },
  { name: 'div broadcast [2,3,4,5] / [1,3,1,5]', inputs: [I([2, 3, 4, 5]), I([1, 3, 1, 5], 'positive')], f: (a, b) => tf.div(a!, b!) },
  { name: 'squaredDifference broadcast', inputs: [I([2, 3, 4]), I([3, 1])], f: (a, b) => tf.squaredDifference(a!, b!) },
  // shape ops
  { name: 'concat axis -1, rank 4', inputs: [I([2, 3, 3, 2]), I([2, 3, 3, 3])], f: (a, b) => tf.concat([a!, b!], -1) },
  { name: 'concat axis 1, rank 3', inputs: [I([2, 3, 4]), I([2, 2, 4])], f: (a, b) => tf.concat([a!, b!], 1) },
  { name: 'split + stack (qkv)', inputs: [I([2, 4, 6])], f: (x) => { const [q, k, v] = tf.split(x!, 3, -1); return tf.stack([tf.mul(q!, k!), v!], 1); } },
  { name: 'slice rank 4', inputs: [I([2, 5, 5, 3])], f: (x) => tf.slice(x!, [0, 1, 2, 1], [2, 3, 2, 2]) },
  { name: 'pad rank 4', inputs: [I([2, 3, 3, 2])], f: (x) => tf.pad(x!, [[0, 0], [1, 2], [2, 1], [0, 0]]) },
  { name: 'tile rank 4', inputs: [I([2, 3, 2, 2])], f: (x) => tf.tile(x!, [1, 2, 3, 1]) },
  { name: 'transpose rank 5', inputs: [I([2, 3, 2, 4, 2])], f: (x) => tf.transpose(x!, [0, 3, 1, 4, 2]) },
  { name: 'transpose rank 6 (patchify)', inputs: [I([2, 4, 6, 3])], f: (x) => patchify(x!, 2) },
  { name: 'reshape, expandDims, squeeze', inputs: [I([2, 3, 4])], f: (x) => tf.squeeze(tf.expandDims(tf.reshape(x!, [6, 4]), 1), [1]) },
  { name: 'gather axis 0 (embedding lookup, repeated index)', inputs: [I([5, 4])], f: (x) => tf.gather(x!, tf.tensor1d([3, 0, 3, 1, 3], 'int32'), 0) },
  { name: 'gather axis 1, rank 3', inputs: [I([2, 5, 3])], f: (x) => tf.gather(x!, tf.tensor1d([4, 4, 0, 2], 'int32'), 1) },
  { name: 'gather 2-D indices, batchDims 1', inputs: [I([2, 5, 3])], f: (x) => tf.gather(x!, tf.tensor2d([[1, 1, 4], [0, 2, 2]], [2, 3], 'int32'), 1, 1) },
];

/** Seeded input values of a case (the same on both backends). */
function inputValues(c: OpCase, seed: number): Float32Array[] {
  const distinct = c.inputs.filter((i) => i.dist === 'distinct');
  const total = distinct.reduce((n, i) => n + size(i.shape), 0);
  const grid = distinctGrid(total, seed);
  let used = 0;
  return c.inputs.map((inp, k) => {
    const n = size(inp.shape);
    const u = rand(n, seed + 7 * k + 1);
    switch (inp.dist ?? 'normal') {
      case 'positive':
        return u.map((v) => 1.25 + 0.75 * v);
      case 'awayFromZero':
        return u.map((v) => Math.sign(v || 1) * (0.2 + 0.8 * Math.abs(v)));
      case 'distinct':
        used += n;
        return grid.slice(used - n, used);
      default:
        return u;
    }
  });
}

/** A shuffled grid of `n` values in [-1, 1] with spacing 2/n. */
function distinctGrid(n: number, seed: number): Float32Array {
  const out = Float32Array.from({ length: n }, (_, i) => -1 + (2 * i + 1) / Math.max(n, 1));
  const r = rand(n, seed + 99);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(((r[i]! + 1) / 2) * (i + 1)) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Finite-difference step of a case: below half the spacing of its `distinct` grid. */
function fdStep(c: OpCase): number {
  const n = c.inputs.filter((i) => i.dist === 'distinct').reduce((s, i) => s + size(i.shape), 0);
  return n > 0 ? Math.min(1e-2, 0.5 / n) : 1e-2;
}

/** Forward and gradients of sum(f(...) * r) on the current backend. */
function runCase(c: OpCase, values: Float32Array[], seed: number): { out: Float32Array; grads: Float32Array[]; r: Float32Array } {
  return tf.tidy(() => {
    const xs = values.map((v, k) => tf.tensor(v, c.inputs[k]!.shape));
    const y = c.f(...xs);
    const r = rand(y.size, seed + 1000);
    const rt = tf.tensor(r, y.shape);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(c.f(...a), rt)))(xs);
    return { out: y.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array), r };
  });
}

/** f(...) on the current backend with input `k` entry `i` set to `v`. */
function forwardWith(c: OpCase, values: Float32Array[], k: number, i: number, v: number): Float32Array {
  return tf.tidy(() => {
    const xs = values.map((vals, j) => {
      const data = j === k ? vals.slice() : vals;
      if (j === k) data[i] = v;
      return tf.tensor(data, c.inputs[j]!.shape);
    });
    return c.f(...xs).dataSync() as Float32Array;
  });
}

/** A few spread-out coordinates of an input of `n` entries. */
const probeIndices = (n: number) => [...new Set([0, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1])];

const label = (c: OpCase) => `${c.name}: [${c.inputs.map((i) => `[${i.shape}]`).join(', ')}]`;

describe('image-network ops on wasm: forward and gradient vs cpu and finite differences', () => {
  beforeAll(() => setupWasmBackend());

  it.each(CASES.map((c, n) => [label(c), c, n] as const))('%s', async (_, c, n) => {
    const seed = 1000 + 17 * n;
    const values = inputValues(c, seed);
    const cpu = await on('cpu', () => runCase(c, values, seed));
    await on('wasm', () => undefined);
    const before = liveCounts();
    const wasm = runCase(c, values, seed);
    expect(liveCounts()).toEqual(before);

    expect(relErr(wasm.out, cpu.out), 'forward vs cpu').toBeLessThan(2e-6);
    if (!c.cpuGradWrong) wasm.grads.forEach((g, k) => expect(relErr(g, cpu.grads[k]!), `gradient of input ${k} vs cpu`).toBeLessThan(2e-5));

    // Central differences on wasm at a few coordinates of every input.
    const h = fdStep(c);
    wasm.grads.forEach((g, k) => {
      const gMax = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (const i of c.cpuGradWrong ? g.keys() : probeIndices(g.length)) {
        const v = values[k]![i]!;
        const vp = Math.fround(v + h);
        const vm = Math.fround(v - h);
        const yp = forwardWith(c, values, k, i, vp);
        const ym = forwardWith(c, values, k, i, vm);
        let diff = 0;
        let mag = 0;
        for (let j = 0; j < yp.length; j++) {
          diff += wasm.r[j]! * (yp[j]! - ym[j]!);
          mag += Math.abs(wasm.r[j]!) * (Math.abs(yp[j]!) + Math.abs(ym[j]!));
        }
        const fd = diff / (vp - vm);
        // truncation O(h^2) + float32 rounding of the two forwards
        const tol = 2e-3 * Math.max(Math.abs(g[i]!), 0.1 * gMax, 1e-2) + (4e-7 * mag) / (vp - vm);
        expect(Math.abs(fd - g[i]!), `input ${k} entry ${i}: finite difference ${fd}, gradient ${g[i]}`).toBeLessThan(tol);
      }
    });
  });
});
