import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { CheckpointError, Rng, ShapeError, UnknownPluginError, ValueRangeError, useBackend } from '@charlearn/core';
import { decodeTensors, encodeTensors, type NamedArrays } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NET_SHAPES, featureNetForward, featureNetLoss, initFeatureNetWeights, type FeatureNetParams } from './feature-net-arch';
import { FeatureNet, encodeFeatureNet, featureNetFromBytes, type FeatureNetInfo } from './feature-net';
import { loadFeatureNet } from './feature-net-load';
import { computeFD, featureNetStats } from './feature-net-fd';

beforeAll(async () => {
  await useBackend('wasm');
});

const info: FeatureNetInfo = {
  dataset: 'mnist',
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  testAccuracy: 0.5,
  testCount: 10,
  trainCount: 10,
  trainedAt: '2026-01-01T00:00:00.000Z',
  command: 'test',
};

/** Weights with nonzero biases (He init has zero biases) so every term of the reference is exercised. */
function testWeights(seed: number): NamedArrays {
  const w = initFeatureNetWeights(seed);
  const rng = new Rng(seed + 100);
  for (const [k, v] of Object.entries(w)) if (k.endsWith('/b')) v.values = rng.uniformArray(v.values.length, -0.1, 0.1);
  return w;
}

/** Seeded synthetic "images" [n, 28, 28, 1] in [0, 1]. */
function randomImages(n: number, seed: number): tf.Tensor4D {
  return tf.tensor4d(new Rng(seed).uniformArray(n * 784), [n, 28, 28, 1]);
}

// ---------------------------------------------------------------- plain-JS reference forward pass (float64)

function convSame(x: Float64Array, h: number, w: number, cin: number, k: { shape: number[]; values: Float32Array }, b: Float32Array): Float64Array {
  const [kh, kw, , cout] = k.shape as [number, number, number, number];
  const out = new Float64Array(h * w * cout);
  const [ph, pw] = [(kh - 1) / 2, (kw - 1) / 2];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let o = 0; o < cout; o++) {
    let s = b[o]!;
    for (let di = 0; di < kh; di++) for (let dj = 0; dj < kw; dj++) {
      const [ii, jj] = [i + di - ph, j + dj - pw];
      if (ii < 0 || jj < 0 || ii >= h || jj >= w) continue;
      for (let c = 0; c < cin; c++) s += x[(ii * w + jj) * cin + c]! * k.values[((di * kw + dj) * cin + c) * cout + o]!;
    }
    out[(i * w + j) * cout + o] = Math.max(s, 0);
  }
  return out;
}

function pool(x: Float64Array, h: number, w: number, c: number): Float64Array {
  const out = new Float64Array((h / 2) * (w / 2) * c);
  for (let i = 0; i < h / 2; i++) for (let j = 0; j < w / 2; j++) for (let o = 0; o < c; o++) {
    let s = 0;
    for (const [a, b] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) s += x[((2 * i + a) * w + 2 * j + b) * c + o]!;
    out[(i * (w / 2) + j) * c + o] = s / 4;
  }
  return out;
}

function referenceFeatures(image: Float32Array, w: NamedArrays): Float64Array {
  let h: Float64Array = Float64Array.from(image, (v) => 2 * v - 1);
  h = pool(convSame(h, 28, 28, 1, w['conv1/w']!, w['conv1/b']!.values), 28, 28, 32);
  h = pool(convSame(h, 14, 14, 32, w['conv2/w']!, w['conv2/b']!.values), 14, 14, 64);
  h = convSame(h, 7, 7, 64, w['conv3/w']!, w['conv3/b']!.values);
  const out = new Float64Array(128);
  const [dw, db] = [w['dense1/w']!.values, w['dense1/b']!.values];
  for (let o = 0; o < 128; o++) {
    let s = db[o]!;
    for (let i = 0; i < 784; i++) s += h[i]! * dw[i * 128 + o]!;
    out[o] = Math.max(s, 0);
  }
  return out;
}

describe('feature CNN', () => {
  it('computes the documented architecture: features match a plain-JS float64 reference', () => {
    const w = testWeights(1);
    const net = new FeatureNet(w, info);
    const x = randomImages(2, 2);
    const feats = net.features(x);
    expect(feats.shape).toEqual([2, 128]);
    const got = feats.dataSync();
    const pixels = x.dataSync() as Float32Array;
    let maxErr = 0;
    let maxRef = 0;
    for (let i = 0; i < 2; i++) {
      const ref = referenceFeatures(pixels.subarray(784 * i, 784 * (i + 1)), w);
      ref.forEach((r, k) => {
        maxErr = Math.max(maxErr, Math.abs(r - got[i * 128 + k]!));
        maxRef = Math.max(maxRef, Math.abs(r));
      });
    }
    expect(maxRef).toBeGreaterThan(0.1);
    expect(maxErr / maxRef).toBeLessThan(1e-4);
    tf.dispose([x, feats]);
    net.dispose();
  });

  it('batches internally without changing the result, and classify is the argmax of the logits', () => {
    const net = new FeatureNet(testWeights(3), info);
    const x = randomImages(7, 4);
    const [whole, small] = [net.features(x), net.features(x, { batchSize: 3 })];
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(whole, small))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-5);
    const logits = net.logits(x, { batchSize: 2 });
    expect(logits.shape).toEqual([7, 10]);
    const cls = net.classify(x);
    expect(cls.dtype).toBe('int32');
    const lv = logits.arraySync();
    expect(Array.from(cls.dataSync())).toEqual(lv.map((row) => row.indexOf(Math.max(...row))));
    tf.dispose([x, whole, small, logits, cls]);
    net.dispose();
  });

  it('trains on wasm: 25 Adam steps separate vertical from horizontal bars (loss falls > 5x)', () => {
    const rng = new Rng(5);
    const n = 16;
    const img = new Float32Array(n * 784);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      const at = 4 + Math.floor(rng.uniform() * 20);
      for (let t = 0; t < 28; t++) img[i * 784 + (labels[i] ? t * 28 + at : at * 28 + t)] = 1;
    }
    const x = tf.tensor4d(img, [n, 28, 28, 1]);
    const y = tf.tensor1d(labels, 'int32');
    const params = Object.fromEntries(
      Object.entries(initFeatureNetWeights(2)).map(([k, { shape, values }]) => [k, tf.variable(tf.tensor(values, shape))]),
    ) as unknown as FeatureNetParams;
    const opt = tf.train.adam(1e-3);
    const lossOf = (): tf.Scalar => featureNetLoss(featureNetForward(params, x).logits, y);
    const first = tf.tidy(() => lossOf().dataSync()[0]!);
    let counted = -1;
    for (let step = 0; step < 25; step++) {
      opt.minimize(lossOf, false, Object.values(params) as tf.Variable[]);
      if (step === 1) counted = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(counted);
    const last = tf.tidy(() => lossOf().dataSync()[0]!);
    expect(first).toBeGreaterThan(0.3);
    expect(last).toBeLessThan(first / 5);
    opt.dispose();
    tf.dispose([x, y, ...Object.values(params)]);
  });

  it('leaks no tensors across features, classify, stats and computeFD', () => {
    const net = new FeatureNet(testWeights(6), info);
    const [a, b] = [randomImages(5, 7), randomImages(6, 8)];
    const run = (): void => {
      tf.dispose([net.features(a, { batchSize: 2 }), net.classify(b)]);
      computeFD(net, a, b);
      computeFD(net, a, featureNetStats(net, b));
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
    net.dispose();
  });

  it('computeFD: named for the net, 0 for one set against itself, equal with cached stats', () => {
    const net = new FeatureNet(testWeights(8), info);
    const [a, b] = [randomImages(6, 9), randomImages(6, 10)];
    const self = computeFD(net, a, a);
    expect(self.name).toBe('FD(charlearn-mnist-cnn)');
    expect(self.fd).toBeLessThan(1e-6);
    const ab = computeFD(net, a, b);
    expect(ab).toMatchObject({ n: 6, m: 6 });
    expect(ab.fd).toBeGreaterThan(0);
    expect(computeFD(net, a, featureNetStats(net, b)).fd).toBeCloseTo(ab.fd, 10);
    tf.dispose([a, b]);
    net.dispose();
  });

  it('rejects bad images, options and nets with named errors before any feature math', () => {
    const net = new FeatureNet(testWeights(9), info);
    const wrong = tf.zeros([2, 28, 28, 3]) as tf.Tensor4D;
    const big = tf.fill([2, 28, 28, 1], 1.5) as tf.Tensor4D;
    const empty = tf.zeros([0, 28, 28, 1]) as tf.Tensor4D;
    const ints = tf.zeros([2, 28, 28, 1], 'int32') as tf.Tensor4D;
    const ok = randomImages(2, 1);
    expect(() => net.features(wrong)).toThrow(ShapeError);
    expect(() => net.features(wrong)).toThrow(/images must have shape \[n, 28, 28, 1\]/);
    expect(() => net.features(big)).toThrow(ValueRangeError);
    expect(() => net.features(big)).toThrow(/\[0, 1\]/);
    expect(() => net.features(empty)).toThrow(/n >= 1/);
    expect(() => net.features(ints)).toThrow(/float32/);
    expect(() => net.features(ok, { batchSize: 0 })).toThrow(/options.batchSize/);
    expect(() => computeFD(net, ok, big)).toThrow(/imagesB must hold pixel values/);
    expect(() => computeFD({} as FeatureNet, ok, ok)).toThrow(/net must be a FeatureNet/);
    expect(() => featureNetStats(net, tf.zeros([1, 28, 28, 1]) as tf.Tensor4D)).toThrow(/at least 2 feature rows/);
    net.dispose();
    expect(() => net.features(ok)).toThrow(/disposed/);
    tf.dispose([wrong, big, empty, ints, ok]);
  });
});

describe('feature-net weights file', () => {
  it('round-trips through encodeFeatureNet / featureNetFromBytes and loadFeatureNet({ dir })', async () => {
    const w = testWeights(11);
    const bytes = encodeFeatureNet(w, info);
    const dir = await mkdtemp(join(tmpdir(), 'fnet-'));
    await writeFile(join(dir, 'mnist-cnn.bin'), bytes);
    const [a, b] = [featureNetFromBytes(bytes), await loadFeatureNet('mnist', { dir })];
    expect(b.info).toEqual(info);
    expect(b.name).toBe('charlearn-mnist-cnn');
    const x = randomImages(3, 12);
    const [fa, fb] = [a.features(x), b.features(x)];
    expect(Array.from(fb.dataSync())).toEqual(Array.from(fa.dataSync()));
    tf.dispose([x, fa, fb]);
    a.dispose();
    b.dispose();
  });

  it('refuses corrupt files, other architectures, wrong shapes and unknown names', async () => {
    const bytes = encodeFeatureNet(testWeights(12), info);
    const flipped = bytes.slice();
    flipped[bytes.length - 100]! ^= 1;
    expect(() => featureNetFromBytes(flipped)).toThrow(/checksum/);
    const { arrays } = decodeTensors(bytes);
    expect(() => featureNetFromBytes(encodeTensors(arrays, { arch: { kind: 'mlp', version: 1 }, info: { ...info } }))).toThrow(CheckpointError);
    expect(() => featureNetFromBytes(encodeTensors(arrays, { arch: { kind: 'charlearn-feature-cnn', version: 1 }, info: { dataset: 'cifar' } }))).toThrow(/meta.info/);
    const bad = { ...arrays, 'conv1/w': { shape: [3, 3, 1, 16], values: new Float32Array(144) } };
    expect(() => new FeatureNet(bad, info)).toThrow(/'conv1\/w' must have shape \[3, 3, 1, 32\]/);
    const missing: NamedArrays = { ...arrays };
    delete missing['dense2/b'];
    expect(() => encodeFeatureNet(missing, info)).toThrow(/lack 'dense2\/b'/);
    await expect(loadFeatureNet('cifar' as 'mnist')).rejects.toThrow(UnknownPluginError);
    await expect(loadFeatureNet('mnist', { dir: join(tmpdir(), 'no-such-dir-fnet') })).rejects.toThrow(/train-feature-net.mjs --data mnist/);
    expect(Object.keys(FEATURE_NET_SHAPES)).toHaveLength(10);
  });
});
