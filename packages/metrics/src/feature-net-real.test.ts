// The shipped feature nets on real images: accuracy, and that FD(charlearn-…-cnn)
// sees image quality (small between two halves of the test set, growing
// monotonically with Gaussian blur and additive noise). Skipped, with the
// reason printed, when the weights have not been built or @charlearn/data's
// image loaders are unavailable.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { Rng, useBackend } from '@charlearn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureNet, FeatureNetDataset } from './feature-net';
import { computeFD, featureNetStats } from './feature-net-fd';
import { featureNetFileName, loadFeatureNet } from './feature-net-load';

interface TestImages {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}
type Loader = (options: { split: 'test'; limit?: number }) => Promise<TestImages>;

const weightsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'weights');
let loaders: Record<FeatureNetDataset, Loader> | undefined;
let skipReason = '';
try {
  const mod = await import('@charlearn/data/images');
  loaders = { mnist: mod.loadMnist, 'fashion-mnist': mod.loadFashionMnist };
} catch (e) {
  skipReason = `@charlearn/data/images is unavailable (${(e as Error).message}); build packages/data`;
}
/** Why the tests of one net are skipped ('' when they run). */
function skipFor(name: FeatureNetDataset): string {
  if (skipReason) return skipReason;
  if (existsSync(join(weightsDir, featureNetFileName(name)))) return '';
  return `weights/${featureNetFileName(name)} missing; run node packages/metrics/scripts/train-feature-net.mjs --data ${name}`;
}
const skip = { mnist: skipFor('mnist'), 'fashion-mnist': skipFor('fashion-mnist') };
for (const [name, why] of Object.entries(skip)) if (why) console.warn(`feature-net-real.test.ts: ${name} tests skipped: ${why}`);

/** Test images [from, from + n) as a Tensor4D [n, 28, 28, 1]. */
function slice(set: TestImages, from: number, n: number): tf.Tensor4D {
  return tf.tensor4d(set.images.slice(from * 784, (from + n) * 784), [n, 28, 28, 1]);
}

/** Separable-in-effect 2-D Gaussian blur of std `sigma` pixels (zero padding), clipped to [0, 1]. */
function blur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  const r = Math.ceil(3 * sigma);
  const g = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = g.reduce((a, b) => a + b, 0) ** 2;
  const k = tf.tensor4d(g.flatMap((a) => g.map((b) => (a * b) / sum)), [2 * r + 1, 2 * r + 1, 1, 1]);
  const out = tf.tidy(() => tf.clipByValue(tf.conv2d(x, k, 1, 'same'), 0, 1) as tf.Tensor4D);
  k.dispose();
  return out;
}

/** x + N(0, sigma²) per pixel, clipped to [0, 1]. */
function noisy(x: tf.Tensor4D, sigma: number, rng: Rng): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(tf.add(x, tf.mul(rng.normalTensor(x.shape), sigma)), 0, 1) as tf.Tensor4D);
}

/** Images per set in the FD checks (FD's finite-sample floor at d = 128 is what the test-halves value shows). */
const N = 400;

const increasing = (v: number[]): boolean => v.every((x, i) => i === 0 || x > v[i - 1]!);

describe.skipIf(skip.mnist !== '' && skip['fashion-mnist'] !== '')('shipped feature nets on real test images', () => {
  const nets: Partial<Record<FeatureNetDataset, FeatureNet>> = {};
  const sets: Partial<Record<FeatureNetDataset, TestImages>> = {};
  beforeAll(async () => {
    await useBackend('wasm');
    for (const name of ['mnist', 'fashion-mnist'] as const) {
      if (skip[name]) continue;
      nets[name] = await loadFeatureNet(name);
      sets[name] = await loaders![name]({ split: 'test', limit: name === 'mnist' ? undefined : 1000 });
    }
  });
  afterAll(() => Object.values(nets).forEach((n) => n.dispose()));

  for (const [name, floor] of [['mnist', 0.96], ['fashion-mnist', 0.85]] as const) {
    it.skipIf(skip[name] !== '')(`${name}: classifies 400 held-out test images with accuracy > ${floor}`, () => {
      const set = sets[name]!;
      const x = slice(set, 0, 400);
      const pred = nets[name]!.classify(x);
      const p = pred.dataSync();
      let correct = 0;
      for (let i = 0; i < 400; i++) if (p[i] === set.labels[i]) correct++;
      tf.dispose([x, pred]);
      expect(correct / 400).toBeGreaterThan(floor);
      expect(nets[name]!.info.testAccuracy).toBeGreaterThan(floor);
    });
  }

  it.skipIf(skip.mnist !== '')('mnist: FD between disjoint test halves is far below FD against noisy or blurred digits, and grows with the level', () => {
    const net = nets.mnist!;
    const set = sets.mnist!;
    const before = tf.memory().numTensors;
    const [a, b] = [slice(set, 0, N), slice(set, N, N)];
    const ref = featureNetStats(net, a);
    const halves = computeFD(net, b, ref);
    expect(halves.name).toBe('FD(charlearn-mnist-cnn)');
    const rng = new Rng(1);
    const levels = (make: (level: number) => tf.Tensor4D, ls: number[]): number[] =>
      ls.map((l) => {
        const x = make(l);
        const { fd } = computeFD(net, x, ref);
        x.dispose();
        return fd;
      });
    const noise = levels((s) => noisy(b, s, rng), [0.1, 0.2, 0.4]);
    const blurs = levels((s) => blur(b, s), [0.5, 1, 2]);
    const pure = tf.tidy(() => tf.randomUniform([N, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D);
    const pureFd = computeFD(net, pure, ref).fd;
    console.log(`FD(charlearn-mnist-cnn), n = ${N}: halves ${halves.fd.toFixed(2)}; noise σ 0.1/0.2/0.4 ${noise.map((v) => v.toFixed(1)).join('/')}; blur σ 0.5/1/2 ${blurs.map((v) => v.toFixed(1)).join('/')}; uniform noise ${pureFd.toFixed(0)}`);
    expect(increasing([halves.fd, ...noise])).toBe(true);
    expect(increasing([halves.fd, ...blurs])).toBe(true);
    expect(noise[1]!).toBeGreaterThan(2 * halves.fd);
    expect(blurs[1]!).toBeGreaterThan(3 * halves.fd);
    expect(pureFd).toBeGreaterThan(noise[2]!);
    tf.dispose([a, b, pure]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(skip['fashion-mnist'] !== '')('fashion-mnist: FD grows monotonically with blur, from well above the test-halves level', () => {
    const net = nets['fashion-mnist']!;
    const set = sets['fashion-mnist']!;
    const [a, b] = [slice(set, 0, N), slice(set, N, N)];
    const ref = featureNetStats(net, a);
    const halves = computeFD(net, b, ref).fd;
    const blurs = [0.75, 1.5, 2.5].map((s) => {
      const x = blur(b, s);
      const { fd } = computeFD(net, x, ref);
      x.dispose();
      return fd;
    });
    console.log(`FD(charlearn-fashion-mnist-cnn), n = ${N}: halves ${halves.toFixed(2)}; blur σ 0.75/1.5/2.5 ${blurs.map((v) => v.toFixed(1)).join('/')}`);
    expect(increasing([halves, ...blurs])).toBe(true);
    expect(blurs[1]!).toBeGreaterThan(3 * halves);
    tf.dispose([a, b]);
  });
});
