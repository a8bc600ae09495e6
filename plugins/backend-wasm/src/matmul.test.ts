import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { finiteDiff, liveCounts, on, rand, relErr } from './test-helpers';

type Case = { a: number[]; b: number[]; tA: boolean; tB: boolean; note?: string };

const CASES: Case[] = [];
for (const tA of [false, true]) {
  for (const tB of [false, true]) {
    // 2-D, batched 3-D, batched 3-D with a broadcast rank-2 operand
    CASES.push({ a: tA ? [7, 5] : [5, 7], b: tB ? [4, 7] : [7, 4], tA, tB });
    CASES.push({ a: tA ? [3, 7, 5] : [3, 5, 7], b: tB ? [3, 4, 7] : [3, 7, 4], tA, tB });
    CASES.push({ a: tA ? [2, 9, 6] : [2, 6, 9], b: tB ? [3, 9] : [9, 3], tA, tB });
  }
}
// Skinny operands. The wrapper computes (op(B)^T op(A)^T)^T for the 2nd-4th (see PACK_COST in kernels/matmul.ts).
CASES.push({ a: [64, 32], b: [64, 2], tA: true, tB: false, note: 'dW of a 2-unit layer' });
CASES.push({ a: [2, 64], b: [32, 64], tA: false, tB: true, note: 'skinny a, transposed b' });
CASES.push({ a: [40, 3], b: [2, 40], tA: true, tB: true, note: 'both transposed' });
CASES.push({ a: [4, 2, 50], b: [4, 30, 50], tA: false, tB: true, note: 'batched' });

const label = (c: Case) => `[${c.a}]${c.tA ? 'ᵀ' : ''} x [${c.b}]${c.tB ? 'ᵀ' : ''}${c.note ? ` (${c.note})` : ''}`;

function product(c: Case, seed: number): Float32Array {
  return tf.tidy(() => {
    const a = tf.tensor(rand(c.a.reduce((p, d) => p * d, 1), seed), c.a);
    const b = tf.tensor(rand(c.b.reduce((p, d) => p * d, 1), seed + 1), c.b);
    return tf.matMul(a, b, c.tA, c.tB).dataSync() as Float32Array;
  });
}

describe('MatMul with transposeA / transposeB on wasm', () => {
  beforeAll(() => setupWasmBackend({ matMulFix: 'kernel' }));

  it.each(CASES.map((c, i) => [label(c), c, i] as const))('%s matches the cpu backend', async (_, c, i) => {
    const cpu = await on('cpu', () => product(c, 100 + i));
    const wasm = await on('wasm', () => product(c, 100 + i));
    expect(relErr(wasm, cpu)).toBeLessThan(1e-5);
  });

  it('fused matMul (bias + relu) with transposes matches the cpu backend', async () => {
    const run = () =>
      tf.tidy(() => {
        const a = tf.tensor2d(rand(6 * 5, 1), [6, 5]);
        const b = tf.tensor2d(rand(4 * 6, 2), [4, 6]);
        const bias = tf.tensor1d(rand(4, 3));
        return tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias, activation: 'relu' }).dataSync() as Float32Array;
      });
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    expect(relErr(wasm, cpu)).toBeLessThan(1e-5);
  });

  it('frees its transposed copies (no tensor or wasm buffer leaks)', async () => {
    await on('wasm', () => undefined);
    const a = tf.tensor2d(rand(64 * 32, 1), [64, 32]);
    const b = tf.tensor2d(rand(64 * 2, 2), [64, 2]);
    const w = tf.tensor2d(rand(32 * 32, 3), [32, 32]);
    tf.dispose([tf.matMul(a, b, true, false), tf.matMul(a, w, false, true)]);
    const before = liveCounts();
    for (let i = 0; i < 3; i++) tf.dispose([tf.matMul(a, b, true, false), tf.matMul(a, w, false, true), tf.matMul(w, a, true, true)]);
    expect(liveCounts()).toEqual(before);
    tf.dispose([a, b, w]);
  });

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('gradient of matMul(a, b, %s, %s) matches central finite differences', async (tA, tB) => {
    await on('wasm', () => undefined);
    const aShape = tA ? [4, 3] : [3, 4];
    const bShape = tB ? [5, 4] : [4, 5];
    const aData = rand(12, 7);
    const bData = rand(20, 8);
    const r = tf.tensor2d(rand(15, 9), [3, 5]);
    // f(a, b) = sum(r * matMul(a, b)) is bilinear: central differences are exact up to rounding.
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(r, tf.matMul(a, b, tA, tB)));
    const a = tf.tensor(aData, aShape);
    const b = tf.tensor(bData, bShape);
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => f(x, y))([a, b]);
    const evalA = (v: Float32Array) => tf.tidy(() => f(tf.tensor(v, aShape), b).dataSync()[0]!);
    const evalB = (v: Float32Array) => tf.tidy(() => f(a, tf.tensor(v, bShape)).dataSync()[0]!);
    expect(relErr(da!.dataSync(), finiteDiff(evalA, aData, 0.25))).toBeLessThan(1e-4);
    expect(relErr(db!.dataSync(), finiteDiff(evalB, bData, 0.25))).toBeLessThan(1e-4);
    tf.dispose([a, b, r, da!, db!]);
  });

  it('gradient of a batched matMul matches the cpu backend', async () => {
    const run = () =>
      tf.tidy(() => {
        const a = tf.tensor3d(rand(2 * 6 * 5, 11), [2, 6, 5]);
        const b = tf.tensor3d(rand(2 * 4 * 6, 12), [2, 4, 6]);
        const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, true, true))))([a, b]);
        return [da!.dataSync() as Float32Array, db!.dataSync() as Float32Array];
      });
    const [ca, cb] = await on('cpu', run);
    const [wa, wb] = await on('wasm', run);
    expect(relErr(wa!, ca!)).toBeLessThan(1e-5);
    expect(relErr(wb!, cb!)).toBeLessThan(1e-5);
  });
});

describe('Sum / Mean over leading axes on wasm', () => {
  const cases: [number[], number | number[], boolean][] = [
    [[64, 8], 0, false],
    [[64, 8], 0, true],
    [[8, 16, 5], [0, 1], false],
    [[4, 6, 6, 3], [0, 1, 2], true],
    [[4, 6, 6, 3], [1, 0], false],
    [[32, 7], 1, false], // innermost: stock path
    [[6, 20, 3], 1, true], // middle axis: stock path
  ];
  it.each(cases)('shape %j axis %j keepDims %s matches the cpu backend', async (shape, axis, keepDims) => {
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor(rand(shape.reduce((p, d) => p * d, 1), 5), shape);
        const s = tf.sum(x, axis, keepDims);
        const m = tf.mean(x, axis, keepDims);
        return { shape: s.shape, sum: s.dataSync() as Float32Array, mean: m.dataSync() as Float32Array, meanShape: m.shape };
      });
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    expect(wasm.shape).toEqual(cpu.shape);
    expect(wasm.meanShape).toEqual(cpu.meanShape);
    expect(relErr(wasm.sum, cpu.sum)).toBeLessThan(1e-5);
    expect(relErr(wasm.mean, cpu.mean)).toBeLessThan(1e-5);
  });
});
