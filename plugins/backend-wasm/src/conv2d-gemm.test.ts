import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { gemmConvCount } from './kernels/conv2d-gemm';
import { gemmFusedMultiplyAdd } from './kernels/gemm';
import { absErr, finiteDiff, liveCounts, on, rand, relErr } from './test-helpers';

// Conv2D and Conv2DBackpropInput on the GEMM (kernels/conv2d-gemm.ts) against the cpu backend: odd H and W, input
// channels ragged against the microkernel's 4 / 6 rows and output channels against its 8 columns, batch 1 and
// several, 1x1 / 3x3 / even and non-square filters, 'same' / 'valid' / explicit padding, grids over several row
// blocks, both microkernels, and the cases that keep XNNPACK (strides > 1, dilation, one input channel, the option off).
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  w: [number, number, number, number];
  strides: number;
  pad: Pad;
  dilations?: number;
  /** Whether the forward conv (resp. its input gradient) should run on the GEMM. */
  forward: boolean;
  input: boolean;
}

const CASES: Case[] = [
  { x: [1, 5, 7, 3], w: [3, 3, 3, 8], strides: 1, pad: 'same', forward: true, input: false }, // dx: a conv to 3 channels
  { x: [3, 7, 5, 9], w: [3, 3, 9, 13], strides: 1, pad: 'same', forward: true, input: true },
  { x: [2, 9, 9, 16], w: [3, 3, 16, 16], strides: 1, pad: 'same', forward: true, input: true },
  { x: [2, 6, 6, 1], w: [3, 3, 1, 6], strides: 1, pad: 'same', forward: false, input: false }, // 1 input channel, 6 output: XNNPACK
  { x: [4, 5, 5, 10], w: [1, 1, 10, 9], strides: 1, pad: 'same', forward: true, input: true },
  { x: [2, 9, 7, 6], w: [5, 3, 6, 5], strides: 1, pad: 'valid', forward: false, input: false }, // 5 output channels: XNNPACK
  { x: [2, 9, 7, 9], w: [5, 3, 9, 11], strides: 1, pad: 'valid', forward: true, input: true },
  { x: [2, 8, 8, 8], w: [4, 4, 8, 12], strides: 1, pad: 'same', forward: true, input: true }, // even filter: asymmetric padding
  { x: [2, 6, 7, 8], w: [3, 3, 8, 9], strides: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]], forward: true, input: true },
  { x: [2, 6, 7, 8], w: [3, 3, 8, 9], strides: 1, pad: [[0, 0], [3, 0], [1, 1], [0, 0]], forward: true, input: false }, // pad > filter: dx falls back
  { x: [5, 31, 29, 9], w: [3, 3, 9, 20], strides: 1, pad: 'same', forward: true, input: true }, // many row blocks
  { x: [3, 6, 5, 10], w: [3, 3, 10, 1], strides: 1, pad: 'same', forward: false, input: false }, // 1 output channel: XNNPACK both ways
  { x: [2, 7, 7, 6], w: [3, 3, 6, 8], strides: 2, pad: 'same', forward: false, input: false },
  { x: [2, 9, 9, 4], w: [3, 3, 4, 8], strides: 1, pad: 'same', dilations: 2, forward: false, input: false }, // forward only (tfjs has no dilated gradient)
];

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** y = conv2d(x, w) and dx of sum(r * y) on the current backend, and whether each ran on the GEMM. */
function convAndInputGradient(c: Case, seed: number): { y: Float32Array; dx: Float32Array; forward: boolean; input: boolean } {
  return tf.tidy(() => {
    const x = tf.tensor4d(rand(size(c.x), seed), c.x);
    const w = tf.tensor4d(rand(size(c.w), seed + 1, 0.5), c.w);
    const conv = (a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, w, c.strides, c.pad, 'NHWC', c.dilations ?? 1);
    const c0 = gemmConvCount();
    const y = conv(x);
    const c1 = gemmConvCount();
    const r = tf.tensor(rand(size(y.shape), seed + 2), y.shape);
    const dx = (c.dilations ?? 1) === 1 ? tf.grad((a: tf.Tensor) => tf.sum(tf.mul(r, conv(a))))(x) : tf.zeros([1]);
    const c2 = gemmConvCount();
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, forward: c1.forward > c0.forward, input: c2.inputGradient > c1.inputGradient };
  });
}

const label = (c: Case) => `x [${c.x}] W [${c.w}] strides ${c.strides} pad ${JSON.stringify(c.pad)} dilations ${c.dilations ?? 1}`;

describe('Conv2D and Conv2DBackpropInput on the GEMM on wasm', () => {
  beforeAll(() => setupWasmBackend());
  afterAll(() => setupWasmBackend({ gemmConv: true, relaxedSimd: true }));

  it.each(CASES.map((c, i) => [label(c), c, i] as const))('%s: matches the cpu backend, on the expected paths', async (_, c, i) => {
    const cpu = await on('cpu', () => convAndInputGradient(c, 20 * i + 5));
    const wasm = await on('wasm', () => convAndInputGradient(c, 20 * i + 5));
    expect([wasm.forward, wasm.input]).toEqual([c.forward, c.input]);
    expect(relErr(wasm.y, cpu.y), `abs ${absErr(wasm.y, cpu.y)}`).toBeLessThan(1e-4);
    expect(relErr(wasm.dx, cpu.dx), `abs ${absErr(wasm.dx, cpu.dx)}`).toBeLessThan(1e-4);
  });

  it.each([1, 6, 10])('case %s on the 4 x 8 mul+add microkernel (relaxedSimd: false) too', async (i) => {
    const c = CASES[i]!;
    const cpu = await on('cpu', () => convAndInputGradient(c, 20 * i + 5));
    const wasm = await on('wasm', () => convAndInputGradient(c, 20 * i + 5), { relaxedSimd: false });
    const fused = gemmFusedMultiplyAdd();
    await setupWasmBackend({ relaxedSimd: true });
    expect(fused).toBe(false);
    expect([wasm.forward, wasm.input]).toEqual([true, true]);
    expect(relErr(wasm.y, cpu.y)).toBeLessThan(1e-4);
    expect(relErr(wasm.dx, cpu.dx)).toBeLessThan(1e-4);
  });

  // the filter rows accumulated in one tile (gemmAcc, the default) against KH tiles summed by colsum: the same sums in
  // another order, both the cpu backend's numbers (even, odd and 1-row filters, many row blocks, both microkernels)
  it.each([1, 4, 6, 7, 10].flatMap((i) => [true, false].map((relaxed) => [i, relaxed] as const)))('case %s with gemmConvTaps false too (relaxed SIMD %s): the cpu backend, and the accumulated tile within rounding', async (i, relaxed) => {
    const c = CASES[i]!;
    const cpu = await on('cpu', () => convAndInputGradient(c, 20 * i + 5));
    const tiles = await on('wasm', () => convAndInputGradient(c, 20 * i + 5), { relaxedSimd: relaxed, gemmConvTaps: false });
    const accumulated = await on('wasm', () => convAndInputGradient(c, 20 * i + 5), { relaxedSimd: relaxed, gemmConvTaps: true });
    await setupWasmBackend({ relaxedSimd: true, gemmConvTaps: true });
    for (const run of [tiles, accumulated]) {
      expect([run.forward, run.input]).toEqual([c.forward, c.input]);
      expect(relErr(run.y, cpu.y)).toBeLessThan(1e-4);
      expect(relErr(run.dx, cpu.dx)).toBeLessThan(1e-4);
    }
    expect(relErr(accumulated.y, tiles.y)).toBeLessThan(1e-5);
    expect(relErr(accumulated.dx, tiles.dx)).toBeLessThan(1e-5);
    // the option switches the path: on a 3x3 filter over many outputs the two summation orders round apart somewhere
    if (i === 10) expect(Buffer.from(accumulated.y.buffer).equals(Buffer.from(tiles.y.buffer))).toBe(false);
  });

  it('gemmConv: false keeps XNNPACK, with the same numbers', async () => {
    const c = CASES[2]!;
    const viaGemm = await on('wasm', () => convAndInputGradient(c, 77));
    const stock = await on('wasm', () => convAndInputGradient(c, 77), { gemmConv: false });
    await setupWasmBackend({ gemmConv: true });
    expect([viaGemm.forward, viaGemm.input]).toEqual([true, true]);
    expect([stock.forward, stock.input]).toEqual([false, false]);
    expect(relErr(viaGemm.y, stock.y)).toBeLessThan(1e-5);
    expect(relErr(viaGemm.dx, stock.dx)).toBeLessThan(1e-5);
  });

  it('dx through tf.grad matches central finite differences (3x3 same, ragged channels)', async () => {
    await on('wasm', () => undefined);
    const xs: [number, number, number, number] = [2, 5, 3, 9];
    const ws: [number, number, number, number] = [3, 3, 9, 10];
    const xData = rand(size(xs), 61);
    const x = tf.tensor4d(xData, xs);
    const w = tf.tensor4d(rand(size(ws), 62, 0.5), ws);
    const r = tf.tensor4d(rand(2 * 5 * 3 * 10, 63), [2, 5, 3, 10]);
    // a quadratic loss, so that dx depends on x and the gradient is not the same linear map as the forward
    const f = (a: tf.Tensor) => tf.sum(tf.square(tf.sub(tf.conv2d(a as tf.Tensor4D, w, 1, 'same'), r)));
    const before = gemmConvCount();
    const dx = tf.grad(f)(x);
    expect(gemmConvCount()).toEqual({ forward: before.forward + 1, inputGradient: before.inputGradient + 1 });
    const fd = finiteDiff((v) => tf.tidy(() => f(tf.tensor4d(v, xs)).dataSync()[0]!), xData, 0.125);
    expect(relErr(dx.dataSync(), fd)).toBeLessThan(1e-4);
    tf.dispose([x, w, r, dx]);
  });

  it('leaks no tensors and no wasm buffers over training steps, nor when dy has the wrong shape', async () => {
    await on('wasm', () => undefined);
    const x = tf.tensor4d(rand(2 * 9 * 9 * 5, 71), [2, 9, 9, 5]);
    const w1 = tf.variable(tf.tensor4d(rand(3 * 3 * 5 * 8, 72, 0.3), [3, 3, 5, 8]));
    const w2 = tf.variable(tf.tensor4d(rand(3 * 3 * 8 * 9, 73, 0.3), [3, 3, 8, 9]));
    const opt = tf.train.sgd(1e-2);
    const loss = (): tf.Scalar => tf.mean(tf.square(tf.conv2d(tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same')), w2 as tf.Tensor4D, 1, 'valid')));
    opt.minimize(loss, false);
    const before = liveCounts();
    const count = gemmConvCount();
    for (let i = 0; i < 3; i++) opt.minimize(loss, false);
    // per step: two forward convs, one input gradient (the first conv's input x needs none)
    expect(gemmConvCount()).toEqual({ forward: count.forward + 6, inputGradient: count.inputGradient + 3 });
    expect(liveCounts()).toEqual(before);
    const dy = tf.zeros([2, 8, 9, 8]);
    expect(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w1 }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 9, 9, 5] })).toThrow(
      /dy has shape/,
    );
    dy.dispose();
    expect(liveCounts()).toEqual(before);
    opt.dispose();
    tf.dispose([x, w1, w2]);
  });
});
