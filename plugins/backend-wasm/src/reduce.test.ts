import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { fastReductionCount } from './kernels/reduce';
import { liveCounts, on, rand } from './test-helpers';

// The leading-axes Sum / Mean of kernels/reduce.ts (the SIMD kernels module's colsum): the rows added in order in
// float32, so the exact bits of a sequential float32 accumulation, on ragged column counts (f32x4 body + scalar tail).
function sequentialSum(x: Float32Array, rows: number, cols: number): Float32Array {
  const acc = new Float32Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) acc[j] = Math.fround(acc[j]! + x[i * cols + j]!);
  return acc;
}

const SHAPES: number[][] = [
  [1024, 256],
  [37, 13],
  [16, 3],
  [64, 7, 5],
  [20, 1],
  [8, 9, 2, 4],
];

describe('leading-axes Sum / Mean on wasm', () => {
  beforeAll(() => setupWasmBackend({ fastReductions: true }));

  it.each(SHAPES.map((s) => [s.join('x'), s] as const))('%s: sum over the leading axis is the sequential float32 sum bit for bit, and matches the cpu backend', async (_, shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = rand(size, size);
    const cols = size / shape[0]!;
    const wasm = await on('wasm', () => tf.tidy(() => tf.sum(tf.tensor(data, shape), 0).dataSync() as Float32Array));
    const expected = sequentialSum(data, shape[0]!, cols);
    expect(Buffer.from(wasm.buffer, wasm.byteOffset, wasm.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
    const cpu = await on('cpu', () => tf.tidy(() => tf.sum(tf.tensor(data, shape), 0).dataSync() as Float32Array));
    for (let j = 0; j < cols; j++) expect(wasm[j]).toBeCloseTo(cpu[j]!, 3);
  });

  it.each([
    [[4, 7, 5, 12], [1, 2]],
    [[3, 17, 6], [1]],
    [[2, 3, 16, 5, 3], [2, 3]],
    [[5, 20, 3], [1]],
    [[896, 2, 896], [1]], // the 2x2 blocks of an upsampling's gradient: 2 rows a slice, 896 slices in groups
    [[3, 2, 2, 5000], [1, 2]], // slices larger than a group
  ] as [number[], number[]][])('%j over axes %j (a middle block: per outer slice) is the sequential float32 sum bit for bit, with keepDims and the mean; nothing leaks', async (shape, axes) => {
    await on('wasm', () => undefined);
    const size = shape.reduce((a, b) => a * b, 1);
    const data = rand(size, 7);
    const outer = shape.slice(0, axes[0]).reduce((a, b) => a * b, 1);
    const p = axes.reduce((a: number, ax) => a * shape[ax]!, 1);
    const q = size / outer / p;
    const expected = new Float32Array(outer * q);
    for (let o = 0; o < outer; o++) expected.set(sequentialSum(data.subarray(o * p * q, (o + 1) * p * q), p, q), o * q);
    const x = tf.tensor(data, [...shape]);
    const before = liveCounts();
    const count = fastReductionCount();
    const s = tf.sum(x, [...axes]);
    const kept = tf.sum(x, [...axes], true);
    const m = tf.mean(x, [...axes]);
    expect(fastReductionCount()).toBe(count + 3);
    expect(s.shape).toEqual(shape.filter((_, i) => !axes.includes(i)));
    expect(kept.shape).toEqual(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
    expect(Array.from(s.dataSync())).toEqual(Array.from(expected));
    expect(Array.from(kept.dataSync())).toEqual(Array.from(expected));
    expect(Array.from(m.dataSync())).toEqual(Array.from(expected.map((v) => v / p)));
    const cpu = await on('cpu', () => tf.tidy(() => tf.sum(tf.tensor(data, [...shape]), [...axes]).dataSync() as Float32Array));
    await on('wasm', () => undefined);
    const sums = s.dataSync();
    let worst = 0;
    for (let j = 0; j < cpu.length; j++) worst = Math.max(worst, Math.abs(sums[j]! - cpu[j]!) / Math.max(1, Math.abs(cpu[j]!)));
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([s, kept, m]);
    expect(liveCounts()).toEqual(before);
    x.dispose();
  });

  it('reduces several leading axes, with keepDims, and the mean; nothing leaks', async () => {
    await on('wasm', () => undefined);
    const data = rand(6 * 5 * 7, 3);
    const x = tf.tensor3d(data, [6, 5, 7]);
    const before = liveCounts();
    const s = tf.sum(x, [0, 1], true);
    expect(s.shape).toEqual([1, 1, 7]);
    expect(Array.from(s.dataSync())).toEqual(Array.from(sequentialSum(data, 30, 7)));
    const m = tf.mean(x, 0);
    expect(m.shape).toEqual([5, 7]);
    const expectedMean = sequentialSum(data, 6, 35).map((v) => v / 6);
    expect(Array.from(m.dataSync())).toEqual(Array.from(expectedMean));
    tf.dispose([s, m]);
    expect(liveCounts()).toEqual(before);
    x.dispose();
  });
});
