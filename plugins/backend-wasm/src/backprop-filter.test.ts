import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { shiftedGemmFilterCount } from './kernels/backprop-filter-gemm';
import { gemmFusedMultiplyAdd } from './kernels/gemm';
import { absErr, finiteDiff, liveCounts, on, rand, relErr } from './test-helpers';

// The shifted-GEMM Conv2DBackpropFilter (kernels/backprop-filter-gemm.ts) against the cpu backend: odd H and W,
// input channels ragged against the microkernel's 4 / 6 rows and output channels against its 8 columns, batch 1 and
// several, 1x1 / 3x3 / even and non-square filters, 'same' / 'valid' / explicit padding, K over several blocks,
// on both GEMM microkernels (6 x 8 relaxed-SIMD FMA, the default here, and 4 x 8 mul+add), and the cases that keep
// the transposed-convolution kernel (strides > 1, the option off).
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  w: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  /** Whether the shifted GEMM should run (else the fallback). */
  gemm: boolean;
}

const CASES: Case[] = [
  { x: [1, 5, 7, 3], w: [3, 3, 3, 8], strides: 1, pad: 'same', gemm: true },
  { x: [3, 7, 5, 5], w: [3, 3, 5, 13], strides: 1, pad: 'same', gemm: true },
  { x: [2, 9, 9, 16], w: [3, 3, 16, 16], strides: 1, pad: 'same', gemm: true },
  { x: [2, 6, 6, 1], w: [3, 3, 1, 6], strides: 1, pad: 'same', gemm: true },
  { x: [4, 5, 5, 7], w: [1, 1, 7, 9], strides: 1, pad: 'same', gemm: true },
  { x: [2, 7, 9, 4], w: [1, 1, 4, 32], strides: 1, pad: 'valid', gemm: true },
  { x: [2, 9, 7, 6], w: [5, 3, 6, 5], strides: 1, pad: 'valid', gemm: true },
  { x: [2, 8, 8, 4], w: [4, 4, 4, 12], strides: 1, pad: 'same', gemm: true }, // even filter: asymmetric padding
  { x: [2, 6, 7, 3], w: [3, 3, 3, 4], strides: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]], gemm: true },
  { x: [5, 31, 29, 9], w: [3, 3, 9, 20], strides: 1, pad: 'same', gemm: true }, // K = 4,769 grid rows: two K blocks of 3,968
  { x: [2, 7, 7, 6], w: [3, 3, 6, 8], strides: 2, pad: 'same', gemm: false },
  { x: [2, 7, 7, 6], w: [3, 3, 6, 3], strides: 1, pad: 'same', gemm: true }, // 3 output channels: one partial panel
  { x: [3, 6, 5, 10], w: [3, 3, 10, 1], strides: 1, pad: 'same', gemm: true },
  { x: [2, 9, 8, 4], w: [2, 3, 4, 8], strides: [2, 3], pad: 'valid', gemm: false },
];

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** dW of sum(r * conv2d(x, w)) by Conv2DBackpropFilter on the current backend, and whether the shifted GEMM ran. */
function filterGradient(c: Case, seed: number): { dw: Float32Array; viaGemm: boolean } {
  return tf.tidy(() => {
    const x = tf.tensor4d(rand(size(c.x), seed), c.x);
    const w = tf.tensor4d(rand(size(c.w), seed + 1, 0.5), c.w);
    const yShape = tf.conv2d(x, w, c.strides, c.pad).shape;
    const r = tf.tensor(rand(size(yShape), seed + 2), yShape);
    const before = shiftedGemmFilterCount();
    const dw = tf.grad((b: tf.Tensor) => tf.sum(tf.mul(r, tf.conv2d(x, b as tf.Tensor4D, c.strides, c.pad))))(w);
    return { dw: dw.dataSync() as Float32Array, viaGemm: shiftedGemmFilterCount() > before };
  });
}

const label = (c: Case) => `x [${c.x}] W [${c.w}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}`;

describe('Conv2DBackpropFilter by shifted GEMMs on wasm', () => {
  beforeAll(() => setupWasmBackend());
  afterAll(() => setupWasmBackend({ gemmBackpropFilter: true, relaxedSimd: true }));

  it.each(CASES.map((c, i) => [label(c), c, i] as const))('%s: matches the cpu backend, on the expected path', async (_, c, i) => {
    const cpu = await on('cpu', () => filterGradient(c, 20 * i + 3));
    const wasm = await on('wasm', () => filterGradient(c, 20 * i + 3));
    expect(wasm.viaGemm).toBe(c.gemm);
    expect(relErr(wasm.dw, cpu.dw), `abs ${absErr(wasm.dw, cpu.dw)}`).toBeLessThan(1e-4);
  });

  it.each([1, 4, 6])('case %s on the 4 x 8 mul+add microkernel (relaxedSimd: false) too', async (i) => {
    const c = CASES[i]!;
    const cpu = await on('cpu', () => filterGradient(c, 20 * i + 3));
    const wasm = await on('wasm', () => filterGradient(c, 20 * i + 3), { relaxedSimd: false });
    const fused = gemmFusedMultiplyAdd();
    await setupWasmBackend({ relaxedSimd: true });
    expect(fused).toBe(false);
    expect(wasm.viaGemm).toBe(true);
    expect(relErr(wasm.dw, cpu.dw)).toBeLessThan(1e-4);
  });

  it('gemmBackpropFilter: false keeps the transposed convolution, with the same numbers', async () => {
    const c = CASES[1]!;
    const viaGemm = await on('wasm', () => filterGradient(c, 77));
    const stock = await on('wasm', () => filterGradient(c, 77), { gemmBackpropFilter: false });
    await setupWasmBackend({ gemmBackpropFilter: true });
    expect(viaGemm.viaGemm).toBe(true);
    expect(stock.viaGemm).toBe(false);
    expect(relErr(viaGemm.dw, stock.dw)).toBeLessThan(1e-5);
  });

  it('dW through tf.grad matches central finite differences (3x3 same, ragged channels)', async () => {
    await on('wasm', () => undefined);
    const xs: [number, number, number, number] = [2, 5, 3, 3];
    const ws: [number, number, number, number] = [3, 3, 3, 5];
    const x = tf.tensor4d(rand(size(xs), 61), xs);
    const wData = rand(size(ws), 62, 0.5);
    const w = tf.tensor4d(wData, ws);
    const r = tf.tensor4d(rand(2 * 5 * 3 * 5, 63), [2, 5, 3, 5]);
    // a quadratic loss, so that dW depends on W and the gradient is not the same linear map as the forward
    const f = (b: tf.Tensor) => tf.sum(tf.square(tf.sub(tf.conv2d(x, b as tf.Tensor4D, 1, 'same'), r)));
    const before = shiftedGemmFilterCount();
    const dw = tf.grad(f)(w);
    expect(shiftedGemmFilterCount()).toBe(before + 1);
    const fd = finiteDiff((v) => tf.tidy(() => f(tf.tensor4d(v, ws)).dataSync()[0]!), wData, 0.125);
    expect(relErr(dw.dataSync(), fd)).toBeLessThan(1e-4);
    tf.dispose([x, w, r, dw]);
  });

  it('leaks no tensors and no wasm buffers over training steps, nor when dy has the wrong shape', async () => {
    await on('wasm', () => undefined);
    const x = tf.tensor4d(rand(2 * 9 * 9 * 5, 71), [2, 9, 9, 5]);
    const w1 = tf.variable(tf.tensor4d(rand(3 * 3 * 5 * 8, 72, 0.3), [3, 3, 5, 8]));
    const w2 = tf.variable(tf.tensor4d(rand(3 * 3 * 8 * 6, 73, 0.3), [3, 3, 8, 6]));
    const opt = tf.train.sgd(1e-2);
    const loss = (): tf.Scalar => tf.mean(tf.square(tf.conv2d(tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same')), w2 as tf.Tensor4D, 1, 'valid')));
    opt.minimize(loss, false);
    const before = liveCounts();
    const count = shiftedGemmFilterCount();
    for (let i = 0; i < 3; i++) opt.minimize(loss, false);
    expect(shiftedGemmFilterCount()).toBe(count + 6);
    expect(liveCounts()).toEqual(before);
    const dy = tf.zeros([2, 8, 9, 8]);
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 5, 8] })).toThrow(
      /dy has shape/,
    );
    dy.dispose();
    expect(liveCounts()).toEqual(before);
    opt.dispose();
    tf.dispose([x, w1, w2]);
  });
});
