import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteError, Rng, ShapeError, TypeMismatchError, ValueRangeError } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { imageDataset, mappedPixelStats, type ImageSet } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** count images of h×w×c; pixel value = ((i·h + y)·w + x)·c + ch, scaled into [0, 1]. */
function toySet(count: number, h: number, w: number, c: number): ImageSet {
  const size = count * h * w * c;
  return {
    name: 'toy',
    split: 'train',
    shape: [h, w, c],
    count,
    images: Float32Array.from({ length: size }, (_, k) => k / (size - 1)),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 2),
    classNames: ['even', 'odd'],
  };
}

describe('imageDataset', () => {
  it('sigmaData is the std of 2p − 1 (analytic for pixels uniform on a grid)', () => {
    const set = toySet(5, 4, 3, 2); // pixels k/(N−1), k = 0..N−1 → mapped 2k/(N−1) − 1
    const N = 5 * 4 * 3 * 2;
    const ds = imageDataset(set);
    // population variance of {2k/(N−1) − 1}: 4 · (N² − 1) / (12 (N−1)²) = (N + 1) / (3 (N − 1))
    expect(ds.sigmaData).toBeCloseTo(Math.sqrt((N + 1) / (3 * (N - 1))), 6);
    expect(ds.dataMean).toBeCloseTo(0, 6);
    expect(ds.sampleShape).toEqual([4, 3, 2]);
    expect(ds.size).toBe(5);
    expect(ds.name).toBe('toy');
    expect(mappedPixelStats(Float32Array.of(0, 1, 1, 1))).toEqual({ mean: 0.5, std: Math.sqrt(0.75) });
  });

  it('sample draws whole images with replacement, mapped to [−1, 1], reproducibly from the seed', () => {
    const set = toySet(6, 2, 3, 1);
    const ds = imageDataset(set);
    const n = 40;
    const got = ds.sampleArray(n, new Rng(7));
    const ref = new Rng(7);
    for (let k = 0; k < n; k++) {
      const i = Math.floor(ref.uniform() * 6);
      for (let j = 0; j < 6; j++) expect(got[k * 6 + j]).toBeCloseTo(2 * set.images[i * 6 + j]! - 1, 6);
    }
    const before = tf.memory().numTensors;
    const x = ds.sample(n, new Rng(7));
    expect(x.shape).toEqual([n, 2, 3, 1]);
    expect(x.dtype).toBe('float32');
    expect([...x.dataSync()]).toEqual([...got]);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('flip: true mirrors about half of the draws left–right, channels kept together', () => {
    const set = toySet(3, 2, 4, 3);
    const ds = imageDataset(set, { flip: true });
    expect(ds.flip).toBe(true);
    const n = 400;
    const got = ds.sampleArray(n, new Rng(3));
    const size = 2 * 4 * 3;
    let flipped = 0;
    for (let k = 0; k < n; k++) {
      const cell = got.subarray(k * size, (k + 1) * size);
      // the first pixel identifies the source image and whether it was flipped
      let match = false;
      for (let i = 0; i < 3 && !match; i++) {
        const src = set.images.subarray(i * size, (i + 1) * size).map((p) => 2 * p - 1);
        const mirrored = new Float32Array(size);
        for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) for (let c = 0; c < 3; c++) mirrored[(y * 4 + x) * 3 + c] = src[(y * 4 + 3 - x) * 3 + c]!;
        if (cell.every((v, j) => Math.abs(v - src[j]!) < 1e-6)) match = true;
        else if (cell.every((v, j) => Math.abs(v - mirrored[j]!) < 1e-6)) {
          match = true;
          flipped++;
        }
      }
      expect(match).toBe(true);
    }
    // Binomial(400, 1/2): 5 std = 50
    expect(Math.abs(flipped - n / 2)).toBeLessThan(50);
    expect(imageDataset(set).flip).toBe(false);
  });

  it('toPixels maps [−1, 1] back to [0, 1], clipped, for tensors and arrays, without leaking', () => {
    const ds = imageDataset(toySet(2, 2, 2, 1));
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([-2, -1, 0, 0.5, 1, 3]);
    const p = ds.toPixels(x);
    expect([...p.dataSync()]).toEqual([0, 0, 0.5, 0.75, 1, 1]);
    tf.dispose([x, p]);
    expect(tf.memory().numTensors).toBe(before);
    expect([...ds.toPixels(Float32Array.of(-1, 0, 2))]).toEqual([0, 0.5, 1]);
    const drawn = ds.sampleArray(4, new Rng(0));
    expect(ds.toPixels(drawn).every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('range [lo, hi] serves lo + (hi − lo)·p: [0, 1] gives the pixels as they are, moments scaled, toPixels the inverse; sigmaData can be given', () => {
    const set = toySet(5, 4, 3, 2);
    const N = 5 * 4 * 3 * 2;
    const base = imageDataset(set);
    const unit = imageDataset(set, { range: [0, 1] });
    // p = k/(N−1): mean 1/2, population std √((N+1)/(12(N−1))), half those of 2p − 1
    expect(unit.range).toEqual([0, 1]);
    expect(base.range).toEqual([-1, 1]);
    expect(unit.dataMean).toBeCloseTo(0.5, 6);
    expect(unit.sigmaData).toBeCloseTo(Math.sqrt((N + 1) / (12 * (N - 1))), 6);
    expect(unit.sigmaData).toBeCloseTo(base.sigmaData / 2, 12);
    const x = unit.sampleArray(7, new Rng(3));
    const y = base.sampleArray(7, new Rng(3));
    for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo((y[i]! + 1) / 2, 6);
    // the values served are pixels of the set, unchanged
    const pixels = new Set(set.images);
    expect(Array.from(x).every((v) => pixels.has(v))).toBe(true);
    expect(Array.from(unit.toPixels(Float32Array.of(-0.5, 0, 0.25, 1, 2)))).toEqual([0, 0, 0.25, 1, 1]);
    const odd = imageDataset(set, { range: [-3, 5], sigmaData: 1 });
    expect(odd.sigmaData).toBe(1);
    expect(odd.dataMean).toBeCloseTo(-3 + 8 * 0.5, 6);
    const t = tf.tensor1d([-3, 1, 5, 9]);
    const before = tf.memory().numTensors;
    const p = odd.toPixels(t);
    expect(Array.from(p.dataSync())).toEqual([0, 0.5, 1, 1]);
    p.dispose();
    t.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    expect(() => imageDataset(set, { range: [1, 0] })).toThrow(ValueRangeError);
    expect(() => imageDataset(set, { range: [0, Number.NaN] })).toThrow(/options\.range must be \[lo, hi\]/);
    expect(() => imageDataset(set, { sigmaData: 0 })).toThrow(/options\.sigmaData must be a finite number > 0/);
  });

  it('rejects malformed sets, bad pixels and bad arguments with named errors', () => {
    const good = toySet(2, 2, 2, 1);
    expect(() => imageDataset({ ...good, images: new Float32Array(7) })).toThrow(ShapeError);
    expect(() => imageDataset({ ...good, shape: [2, 2] as unknown as [number, number, number] })).toThrow(/set.shape must be \[H, W, C\]/);
    expect(() => imageDataset({ ...good, labels: Uint8Array.of(0, 5) })).toThrow(/set.labels\[1\] = 5/);
    expect(() => imageDataset({ ...good, images: good.images.map((v, i) => (i === 3 ? 1.5 : v)) })).toThrow(ValueRangeError);
    expect(() => imageDataset({ ...good, images: good.images.map((v, i) => (i === 3 ? NaN : v)) })).toThrow(NonFiniteError);
    expect(() => imageDataset({ ...good, images: new Float32Array(8).fill(0.3) })).toThrow(/sigmaData would be 0/);
    expect(() => imageDataset(good, { flip: 'yes' as unknown as boolean })).toThrow(TypeMismatchError);
    const ds = imageDataset(good);
    expect(() => ds.sample(0, new Rng(0))).toThrow(ValueRangeError);
    expect(() => ds.sampleArray(2, {} as Rng)).toThrow(TypeMismatchError);
  });
});
