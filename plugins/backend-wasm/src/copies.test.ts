import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { heapCopyCount, wasmRowCopyCount } from './kernels/copies';
import { liveCounts, on, rand } from './test-helpers';

// The heap-copy Concat and SplitV (kernels/copies.ts): byte-exact against the cpu backend on every axis, ragged
// pieces (short and long rows, whole blocks at axis 0), int32, empty
// pieces, gradients through tf.concat / tf.split, and no leaks; strided rows both by the wasm row copier on the heap
// (wasmRowCopies, default) and by copyWithin.
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

interface ConcatCase {
  shapes: number[][];
  axis: number;
}
const CONCATS: ConcatCase[] = [
  { shapes: [[4, 5, 7, 16], [4, 5, 7, 16]], axis: 3 },
  { shapes: [[3, 6, 5, 32], [3, 6, 5, 16], [3, 6, 5, 3]], axis: -1 },
  { shapes: [[2, 3, 100], [2, 3, 70]], axis: 2 },
  { shapes: [[2, 3, 4], [2, 5, 4]], axis: 1 },
  { shapes: [[2, 3], [5, 3]], axis: 0 },
  { shapes: [[3, 0], [3, 4], [3, 2]], axis: 1 }, // an empty piece
];

interface SplitCase {
  shape: number[];
  sizes: number[] | number;
  axis: number;
}
const SPLITS: SplitCase[] = [
  { shape: [4, 5, 7, 48], sizes: [32, 16], axis: 3 },
  { shape: [3, 6, 5, 21], sizes: [8, 13], axis: -1 },
  { shape: [2, 3, 170], sizes: [100, 70], axis: 2 },
  { shape: [2, 8, 4], sizes: [3, 0, 5], axis: 1 },
  { shape: [6, 3], sizes: 3, axis: 0 },
  { shape: [3, 100352], sizes: [1, 1, 1], axis: 0 },
];

function concatValues(c: ConcatCase, dtype: 'float32' | 'int32'): number[] {
  return tf.tidy(() => {
    const ts = c.shapes.map((s, i) => (dtype === 'int32' ? tf.tensor(Array.from(rand(size(s), i + 1), (v) => Math.round(v * 1e6)), s, 'int32') : tf.tensor(rand(size(s), i + 1), s)));
    return Array.from(tf.concat(ts, c.axis).dataSync());
  });
}

function splitValues(c: SplitCase): { shapes: number[][]; values: number[][] } {
  return tf.tidy(() => {
    const x = tf.tensor(rand(size(c.shape), 9), c.shape);
    const parts = tf.split(x, c.sizes, c.axis);
    return { shapes: parts.map((p) => p.shape), values: parts.map((p) => Array.from(p.dataSync())) };
  });
}

describe('heap-copy Concat and SplitV on wasm', () => {
  beforeAll(() => setupWasmBackend());
  afterAll(() => setupWasmBackend({ fastCopies: true }));

  it.each(CONCATS.map((c) => [JSON.stringify(c), c] as const))('concat %s: the cpu backend\'s values, float32 and int32', async (_, c) => {
    for (const dtype of ['float32', 'int32'] as const) {
      const cpu = await on('cpu', () => concatValues(c, dtype));
      const count = heapCopyCount();
      const wasm = await on('wasm', () => concatValues(c, dtype));
      expect(heapCopyCount()).toBe(count + 1);
      expect(wasm).toEqual(cpu);
    }
  });

  it.each(SPLITS.map((c) => [JSON.stringify(c), c] as const))('split %s: the cpu backend\'s shapes and values', async (_, c) => {
    const cpu = await on('cpu', () => splitValues(c));
    const count = heapCopyCount();
    const wasm = await on('wasm', () => splitValues(c));
    expect(heapCopyCount()).toBe(count + 1);
    expect(wasm).toEqual(cpu);
  });

  it.each([true, false])('wasmRowCopies %s: the same bytes as the cpu backend (float32, int32, splits), on the path asked for', async (rowCopies) => {
    for (const c of CONCATS) {
      for (const dtype of ['float32', 'int32'] as const) {
        const cpu = await on('cpu', () => concatValues(c, dtype));
        const count = wasmRowCopyCount();
        const wasm = await on('wasm', () => concatValues(c, dtype), { wasmRowCopies: rowCopies });
        // axis 0 concatenates whole blocks (one contiguous copy a piece): no strided rows to copy
        const strided = c.axis !== 0;
        expect(wasmRowCopyCount() > count).toBe(rowCopies && strided);
        expect(Buffer.from(Float32Array.from(wasm).buffer).equals(Buffer.from(Float32Array.from(cpu).buffer))).toBe(true);
      }
    }
    for (const c of SPLITS) {
      const cpu = await on('cpu', () => splitValues(c));
      const wasm = await on('wasm', () => splitValues(c), { wasmRowCopies: rowCopies });
      expect(wasm).toEqual(cpu);
    }
    await setupWasmBackend({ wasmRowCopies: true });
  });

  it('fastCopies: false gives the same bits', async () => {
    const fast = await on('wasm', () => [concatValues(CONCATS[1]!, 'float32'), splitValues(SPLITS[1]!)]);
    const count = heapCopyCount();
    const stock = await on('wasm', () => [concatValues(CONCATS[1]!, 'float32'), splitValues(SPLITS[1]!)], { fastCopies: false });
    expect(heapCopyCount()).toBe(count);
    await setupWasmBackend({ fastCopies: true });
    expect(fast).toEqual(stock);
  });

  it('gradients through concat and split, with no leaked tensors or buffers', async () => {
    await on('wasm', () => undefined);
    const a = tf.tensor(rand(2 * 3 * 5, 1), [2, 3, 5]);
    const b = tf.tensor(rand(2 * 3 * 2, 2), [2, 3, 2]);
    const w = tf.tensor(rand(2 * 3 * 7, 3), [2, 3, 7]);
    const before = liveCounts();
    // d/da sum(w * concat(a, b)) = w[..., :5]; d/db = w[..., 5:] (the concat gradient is a split)
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(w, tf.concat([p, q], -1))))([a, b]);
    const [wa, wb] = tf.split(w, [5, 2], -1);
    expect(Array.from(ga!.dataSync())).toEqual(Array.from(wa!.dataSync()));
    expect(Array.from(gb!.dataSync())).toEqual(Array.from(wb!.dataSync()));
    tf.dispose([ga!, gb!, wa!, wb!]);
    expect(liveCounts()).toEqual(before);
    tf.dispose([a, b, w]);
  });
});
