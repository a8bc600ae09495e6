// The middle-axes broadcast Add of kernels/broadcast-add.ts: the stock wasm kernel's bits (float addition is
// commutative, so the same sums in any order), the cpu backend's values, which path ran, no leak, and the
// gradient of both operands (tfjs's Add gradient sums the broadcast one back).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { broadcastAddCount, middleBroadcast } from './kernels/broadcast-add';
import { liveCounts, on, rand, relErr } from './test-helpers';

const CASES: readonly [number[], number[], boolean][] = [
  [[16, 28, 28, 16], [16], true],
  [[4, 7, 5, 32], [4, 1, 1, 32], true],
  [[1000, 96], [96], true],
  [[96], [1000, 96], true],
  [[6, 9, 9, 12], [1, 1, 12], true],
  [[9, 100, 6], [6], false], // 6 columns: not a multiple of 4, stock kernel
  [[4, 4, 4], [4], false], // 64 elements: below the size threshold, stock kernel
  [[8, 64, 64], [8, 64, 1], false], // a trailing broadcast: not a middle block, stock kernel
  [[2, 3, 1000, 8], [1, 3, 1, 8], false], // broadcast over two separate blocks, stock kernel
];

function add(aShape: number[], bShape: number[]): Float32Array {
  return tf.tidy(() => {
    const a = tf.tensor(rand(util(aShape), 1, 3), aShape);
    const b = tf.tensor(rand(util(bShape), 2, 3), bShape);
    return tf.add(a, b).dataSync() as Float32Array;
  });
}
const util = (s: number[]) => s.reduce((x, y) => x * y, 1);

describe('middle-axes broadcast Add on wasm', () => {
  it('recognises [outer, rows, cols] patterns and nothing else', () => {
    expect(middleBroadcast([64, 28, 28, 16], [16])).toEqual({ outer: 1, rows: 64 * 784, cols: 16 });
    expect(middleBroadcast([64, 28, 28, 16], [64, 1, 1, 16])).toEqual({ outer: 64, rows: 784, cols: 16 });
    expect(middleBroadcast([5, 7], [1, 1])).toEqual({ outer: 1, rows: 35, cols: 1 });
    expect(middleBroadcast([5, 7], [5, 7])).toBeNull();
    expect(middleBroadcast([5, 7, 3], [5, 1, 1])).toEqual({ outer: 5, rows: 21, cols: 1 });
    expect(middleBroadcast([5, 7, 3], [1, 7, 1])).toBeNull();
    expect(middleBroadcast([7], [2, 7])).toBeNull();
  });

  it.each(CASES.map(([a, b, fast]) => [a.join('x'), b.join('x'), a, b, fast] as const))('[%s] + [%s]: the stock kernel\'s bits and the cpu backend\'s values; fast path as expected; no leak', async (_, __, aShape, bShape, fast) => {
    const stock = await on('wasm', () => add(aShape, bShape), { fastBroadcastAdd: false });
    const count = broadcastAddCount();
    const fused = await on(
      'wasm',
      () => {
        const before = liveCounts();
        const out = add(aShape, bShape);
        expect(liveCounts()).toEqual(before);
        return out;
      },
      { fastBroadcastAdd: true },
    );
    expect(broadcastAddCount()).toBe(count + (fast ? 1 : 0));
    expect(Buffer.from(fused.buffer, fused.byteOffset, fused.byteLength).equals(Buffer.from(stock.buffer, stock.byteOffset, stock.byteLength))).toBe(true);
    const cpu = await on('cpu', () => add(aShape, bShape));
    expect(relErr(fused, cpu)).toBe(0);
  });

  it('has the gradients of both operands (the broadcast one summed back) as on the cpu backend', async () => {
    const grads = () =>
      tf.tidy(() => {
        const x = tf.tensor(rand(4 * 6 * 5 * 8, 3), [4, 6, 5, 8]);
        const v = tf.tensor(rand(4 * 8, 4), [4, 1, 1, 8]);
        const ct = tf.tensor(rand(4 * 6 * 5 * 8, 5), [4, 6, 5, 8]);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.add(a, b), ct)))([x, v]).map((g) => g.dataSync() as Float32Array);
      });
    const wasm = await on('wasm', grads);
    const cpu = await on('cpu', grads);
    for (let i = 0; i < 2; i++) expect(relErr(wasm[i]!, cpu[i]!)).toBeLessThan(1e-5);
    await setupWasmBackend();
  });
});
