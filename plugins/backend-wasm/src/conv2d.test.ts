import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { absErr, finiteDiff, liveCounts, on, rand, relErr } from './test-helpers';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  w: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 6, 6, 3], w: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [3, 7, 5, 2], w: [3, 3, 2, 5], strides: 1, pad: 'valid' },
  { x: [2, 8, 8, 4], w: [4, 4, 4, 3], strides: 1, pad: 'same' }, // even filter: asymmetric padding
  { x: [2, 9, 7, 3], w: [5, 3, 3, 2], strides: 1, pad: 'valid' },
  { x: [1, 5, 5, 1], w: [3, 3, 1, 1], strides: 1, pad: 'same' },
  { x: [2, 6, 7, 3], w: [3, 3, 3, 4], strides: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
  { x: [2, 7, 7, 3], w: [3, 3, 3, 2], strides: 2, pad: 'same' },
  { x: [2, 9, 8, 3], w: [2, 3, 3, 4], strides: [2, 3], pad: 'valid' },
  { x: [2, 8, 8, 2], w: [3, 3, 2, 3], strides: 2, pad: 'valid' },
];

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** dx, dW of sum(r * conv2d(x, w)) on the current backend. */
function convGrads(c: Case, seed: number): { y: Float32Array; dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(rand(size(c.x), seed), c.x);
    const w = tf.tensor4d(rand(size(c.w), seed + 1, 0.5), c.w);
    const y = tf.conv2d(x, w, c.strides, c.pad);
    const r = tf.tensor(rand(size(y.shape), seed + 2), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(r, tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad))))([x, w]);
    return { y: y.dataSync() as Float32Array, dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

const label = (c: Case) => `x [${c.x}] W [${c.w}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}`;
const close = (a: Float32Array, e: Float32Array) => absErr(a, e) < 5e-5 || relErr(a, e) < 1e-4;

describe('Conv2D training on wasm', () => {
  beforeAll(() => setupWasmBackend());

  it.each(CASES.map((c, i) => [label(c), c, i] as const))('%s: dx and dW match the cpu backend', async (_, c, i) => {
    const cpu = await on('cpu', () => convGrads(c, 10 * i));
    const wasm = await on('wasm', () => convGrads(c, 10 * i));
    expect(relErr(wasm.y, cpu.y)).toBeLessThan(1e-5);
    expect(close(wasm.dx, cpu.dx), `dx: abs ${absErr(wasm.dx, cpu.dx)} rel ${relErr(wasm.dx, cpu.dx)}`).toBe(true);
    expect(close(wasm.dw, cpu.dw), `dW: abs ${absErr(wasm.dw, cpu.dw)} rel ${relErr(wasm.dw, cpu.dw)}`).toBe(true);
  });

  it.each([
    [1, 'same'],
    [2, 'valid'],
  ] as const)('stride %s %s: dx and dW match central finite differences', async (strides, pad) => {
    await on('wasm', () => undefined);
    const xs: [number, number, number, number] = [1, 5, 5, 2];
    const ws: [number, number, number, number] = [3, 3, 2, 2];
    const xData = rand(size(xs), 31);
    const wData = rand(size(ws), 32, 0.5);
    const x = tf.tensor4d(xData, xs);
    const w = tf.tensor4d(wData, ws);
    const yShape = tf.tidy(() => tf.conv2d(x, w, strides, pad).shape);
    const r = tf.tensor(rand(size(yShape), 33), yShape);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(r, tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad)));
    const [dx, dw] = tf.grads(f)([x, w]);
    const fdX = finiteDiff((v) => tf.tidy(() => f(tf.tensor4d(v, xs), w).dataSync()[0]!), xData, 0.25);
    const fdW = finiteDiff((v) => tf.tidy(() => f(x, tf.tensor4d(v, ws)).dataSync()[0]!), wData, 0.25);
    expect(relErr(dx!.dataSync(), fdX)).toBeLessThan(1e-4);
    expect(relErr(dw!.dataSync(), fdW)).toBeLessThan(1e-4);
    tf.dispose([x, w, r, dx!, dw!]);
  });

  it('conv2dTranspose (Conv2DBackpropInput forward) trains like on the cpu backend', async () => {
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(rand(2 * 5 * 5 * 3, 41), [2, 5, 5, 3]);
        const w = tf.tensor4d(rand(3 * 3 * 4 * 3, 42, 0.5), [3, 3, 4, 3]);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, 5, 5, 4], 1, 'same')));
        const [dx, dw] = tf.grads(f)([x, w]);
        return [f(x, w).dataSync()[0]!, dx!.dataSync() as Float32Array, dw!.dataSync() as Float32Array] as const;
      });
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    expect(Math.abs(wasm[0] - cpu[0]) / cpu[0]).toBeLessThan(1e-5);
    expect(relErr(wasm[1], cpu[1])).toBeLessThan(1e-4);
    expect(relErr(wasm[2], cpu[2])).toBeLessThan(1e-4);
  });

  it('training steps leak no tensors and no wasm buffers', async () => {
    await on('wasm', () => undefined);
    const x = tf.tensor4d(rand(2 * 8 * 8 * 3, 51), [2, 8, 8, 3]);
    const w1 = tf.variable(tf.tensor4d(rand(3 * 3 * 3 * 4, 52, 0.3), [3, 3, 3, 4]));
    const w2 = tf.variable(tf.tensor4d(rand(3 * 3 * 4 * 2, 53, 0.3), [3, 3, 4, 2]));
    const opt = tf.train.sgd(1e-2);
    const loss = (): tf.Scalar => tf.mean(tf.square(tf.conv2d(tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 2, 'same')), w2 as tf.Tensor4D, 1, 'valid')));
    opt.minimize(loss, false);
    const before = liveCounts();
    for (let i = 0; i < 3; i++) opt.minimize(loss, false);
    expect(liveCounts()).toEqual(before);
    opt.dispose();
    tf.dispose([x, w1, w2]);
  });

  it('rejects dataFormat NCHW with an error naming the attribute', async () => {
    await on('wasm', () => undefined);
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 4, 4, 3]);
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] }),
    ).toThrow(/dataFormat/);
    tf.dispose([x, dy]);
  });
});
