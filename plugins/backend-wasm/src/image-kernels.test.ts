// The kernels this package adds to or replaces on wasm for image networks,
// called directly (engine.runKernel) against the cpu backend or an
// independent reference. Their gradients' finite-difference checks are in
// image-ops.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { originalOf } from './kernels/util';
import { liveCounts, on, rand, relErr } from './test-helpers';

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
type S4 = [number, number, number, number];

function kernel(name: string, inputs: Record<string, { shape: number[]; data: ArrayLike<number>; dtype?: 'float32' | 'int32' }>, attrs: object): Float32Array | Int32Array {
  return tf.tidy(() => {
    const ts: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(Array.from(v.data), v.shape, v.dtype ?? 'float32');
    const out = tf.engine().runKernel(name, ts, attrs as tf.NamedAttrMap) as tf.Tensor;
    return out.dataSync() as Float32Array | Int32Array;
  });
}

async function bothBackends(name: string, inputs: Parameters<typeof kernel>[1], attrs: object): Promise<[Float32Array | Int32Array, Float32Array | Int32Array]> {
  const cpu = await on('cpu', () => kernel(name, inputs, attrs));
  const wasm = await on('wasm', () => {
    const before = liveCounts();
    const out = kernel(name, inputs, attrs);
    expect(liveCounts(), `${name} leaks`).toEqual(before);
    return out;
  });
  return [wasm, cpu];
}

describe('kernels added on wasm for image networks', () => {
  beforeAll(() => setupWasmBackend());

  it.each([
    { x: [6, 3], ids: [0, 3, 3, -1, 7, 1], n: 4, dtype: 'float32' as const },
    { x: [5, 2], ids: [1, 1, 0, 4, 1], n: 5, dtype: 'int32' as const },
  ])('UnsortedSegmentSum x [$x] ($dtype), $n segments, ids $ids: matches cpu (out-of-range ids dropped)', async ({ x, ids, n, dtype }) => {
    const data = dtype === 'int32' ? Array.from({ length: size(x) }, (_, i) => (i * 7) % 11 - 5) : rand(size(x), 3);
    const [wasm, cpu] = await bothBackends('UnsortedSegmentSum', { x: { shape: x, data, dtype }, segmentIds: { shape: [ids.length], data: ids, dtype: 'int32' } }, { numSegments: n });
    expect(relErr(wasm, cpu)).toBeLessThan(1e-6);
  });

  const DW: { x: S4; f: S4; strides: number; pad: 'same' | 'valid' }[] = [
    { x: [3, 7, 6, 4], f: [3, 3, 4, 1], strides: 1, pad: 'same' },
    { x: [2, 8, 8, 3], f: [3, 3, 3, 2], strides: 2, pad: 'same' },
    { x: [2, 9, 7, 2], f: [3, 2, 2, 3], strides: 2, pad: 'valid' },
    { x: [1, 6, 6, 5], f: [4, 4, 5, 1], strides: 1, pad: 'same' },
    { x: [2, 7, 7, 2], f: [2, 2, 2, 1], strides: 3, pad: 'valid' },
  ];

  it.each(DW)('DepthwiseConv2dNativeBackpropInput/Filter x [$x] W [$f] stride $strides $pad: match cpu', async ({ x, f, strides, pad }) => {
    const y = tf.tidy(() => tf.depthwiseConv2d(tf.zeros(x) as tf.Tensor4D, tf.zeros(f) as tf.Tensor4D, strides, pad).shape);
    const dy = { shape: y, data: rand(size(y), 11) };
    const attrs = { strides, pad, dilations: 1 };
    const [dxW, dxC] = await bothBackends('DepthwiseConv2dNativeBackpropInput', { dy, filter: { shape: f, data: rand(size(f), 12) } }, { ...attrs, inputShape: x });
    expect(relErr(dxW, dxC)).toBeLessThan(1e-5);
    const [dwW, dwC] = await bothBackends('DepthwiseConv2dNativeBackpropFilter', { x: { shape: x, data: rand(size(x), 13) }, dy }, { ...attrs, filterShape: f });
    expect(relErr(dwW, dwC)).toBeLessThan(1e-5);
  });

  it('depthwise backprops reject dilations > 1, naming the attribute', async () => {
    await on('wasm', () => undefined);
    const dy = tf.zeros([1, 4, 4, 2]);
    const w = tf.zeros([3, 3, 2, 1]);
    expect(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { strides: 1, pad: 'same', dilations: 2, inputShape: [1, 4, 4, 2] })).toThrow(/dilations/);
    tf.dispose([dy, w]);
  });

  it.each([
    { x: [3, 7, 6, 4] as S4, k: 3, s: 2, pad: 'same' as const },
    { x: [2, 8, 8, 5] as S4, k: 2, s: 2, pad: 'valid' as const },
    { x: [2, 5, 6, 3] as S4, k: 3, s: 1, pad: 'same' as const },
  ])('MaxPoolGrad x [$x] window $k stride $s $pad: matches cpu', async ({ x, k, s, pad }) => {
    // distinct values: no ties, so the routing is unambiguous
    const xs = Float32Array.from({ length: size(x) }, (_, i) => ((i * 7919) % size(x)) / size(x));
    const y = tf.tidy(() => tf.maxPool(tf.zeros(x) as tf.Tensor4D, k, s, pad).shape);
    const yv = await on('cpu', () => tf.tidy(() => Array.from(tf.maxPool(tf.tensor4d(xs, x), k, s, pad).dataSync())));
    const [wasm, cpu] = await bothBackends('MaxPoolGrad', { dy: { shape: y, data: rand(size(y), 21) }, input: { shape: x, data: xs }, output: { shape: y, data: yv } }, { filterSize: k, strides: s, pad });
    expect(relErr(wasm, cpu)).toBeLessThan(1e-6);
  });

  it.each([
    { x: [3, 4, 5, 2] as S4, out: [8, 10] as [number, number], align: false, half: false },
    { x: [2, 5, 4, 3] as S4, out: [3, 7] as [number, number], align: false, half: true },
    { x: [2, 5, 5, 1] as S4, out: [4, 9] as [number, number], align: true, half: false },
  ])('ResizeNearestNeighborGrad x [$x] -> $out (alignCorners $align, halfPixelCenters $half): each dy goes to the pixel the forward copied', async ({ x, out, align, half }) => {
    // Reference from the forward: resizing an image of flat indices tells where every output came from.
    const n = size(x);
    const src = await on('wasm', () => tf.tidy(() => Array.from(tf.image.resizeNearestNeighbor(tf.tensor4d(Float32Array.from({ length: n }, (_, i) => i), x), out, align, half).dataSync())));
    const yShape = [x[0], out[0], out[1], x[3]];
    const dy = rand(size(yShape), 31);
    const expected = new Float64Array(n);
    src.forEach((from, j) => (expected[from]! += dy[j]!));
    const wasm = await on('wasm', () => kernel('ResizeNearestNeighborGrad', { images: { shape: x, data: new Float32Array(n) }, dy: { shape: yShape, data: dy } }, { alignCorners: align, halfPixelCenters: half }));
    expect(relErr(wasm, expected)).toBeLessThan(1e-6);
  });

  it.each([
    { x: [3, 5, 2], idx: [[1, 4], [0, 0], [3, 2]], axis: 1 },
    { x: [2, 3, 5, 2], idx: [[4, 1, 1, 0], [2, 3, 0, 0]], axis: 2 },
    { x: [2, 4, 3], idx: [[3], [0]], axis: 1 },
  ])('GatherV2 batchDims 1, x [$x], axis $axis: matches cpu', async ({ x, idx, axis }) => {
    const [wasm, cpu] = await bothBackends('GatherV2', { x: { shape: x, data: rand(size(x), 41) }, indices: { shape: [idx.length, idx[0]!.length], data: idx.flat(), dtype: 'int32' } }, { axis, batchDims: 1 });
    expect(relErr(wasm, cpu)).toBeLessThan(1e-7);
  });

  it('registration is idempotent: replaced kernels are wrapped once, added ones registered once', async () => {
    await setupWasmBackend();
    await setupWasmBackend();
    for (const name of ['MaxPoolGrad', 'ResizeNearestNeighborGrad', 'GatherV2', 'Conv2DBackpropInput']) {
      const k = tf.getKernel(name, 'wasm');
      expect(originalOf(k), name).toBeDefined();
      expect(originalOf(originalOf(k)), name).toBeUndefined();
    }
    for (const name of ['UnsortedSegmentSum', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'Conv2DBackpropFilter']) {
      expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    }
  });
});
