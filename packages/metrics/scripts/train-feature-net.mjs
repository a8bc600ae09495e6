#!/usr/bin/env node
// Trains the small feature CNN behind FD(charlearn-<data>-cnn) and writes its
// weights into packages/metrics/weights/ (shipped with @charlearn/metrics).
//
//   node packages/metrics/scripts/train-feature-net.mjs --data mnist|fashion-mnist
//        [--epochs N] [--shift PX] [--seconds S] [--batch 64] [--lr 0.001] [--seed 1] [--limit N] [--out DIR]
//
// Needs the built packages (`npm run build`, or `npx tsup` in packages/metrics
// and packages/data). Trains on the train split with Adam on the wasm backend
// (one thread) for --epochs (MNIST 12 with random ±2 px shifts, Fashion-MNIST
// 3 without), stopping early if --seconds (900) runs out, with the learning
// rate cut 4x for the last quarter; then measures accuracy on the full test
// split and writes <out>/<data>-cnn.bin (the @charlearn/core tensor file
// format: JSON header + float32 payload + CRC-32; written to a temporary name
// and renamed, so a crash never leaves a half file) and <out>/<data>-cnn.json
// (accuracy, data, counts, time, date, command).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { Rng, useBackend } from '@charlearn/core';
import {
  FEATURE_NET_ARCH,
  FeatureNet,
  encodeFeatureNet,
  featureNetFileName,
  featureNetForward,
  featureNetLoss,
  initFeatureNetWeights,
} from '@charlearn/metrics';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    epochs: { type: 'string' },
    seconds: { type: 'string', default: '900' },
    shift: { type: 'string' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.001' },
    seed: { type: 'string', default: '1' },
    limit: { type: 'string' },
    out: { type: 'string', default: join(here, '..', 'weights') },
    help: { type: 'boolean', default: false },
  },
});
const usage =
  'usage: node packages/metrics/scripts/train-feature-net.mjs --data mnist|fashion-mnist [--epochs 12|3] [--shift 2|0] [--seconds 900] [--batch 64] [--lr 0.001] [--seed 1] [--limit N] [--out DIR]';
if (args.help) {
  console.log(usage);
  process.exit(0);
}
if (args.data !== 'mnist' && args.data !== 'fashion-mnist') {
  console.error(`--data must be 'mnist' or 'fashion-mnist', got ${JSON.stringify(args.data)}\n${usage}`);
  process.exit(2);
}
// Defaults per data set: the 8k MNIST digits need more epochs and random shifts
// (up to ±2 px) to generalise; 60k Fashion-MNIST images need neither.
const defaults = args.data === 'mnist' ? { epochs: '12', shift: '2' } : { epochs: '3', shift: '0' };
const num = (name, { integer = false, min = 0 } = {}) => {
  const v = Number(args[name] ?? defaults[name]);
  if (!Number.isFinite(v) || v <= min || (integer && !Number.isInteger(v))) {
    console.error(`--${name} must be ${integer ? 'an integer' : 'a number'} > ${min}, got ${JSON.stringify(args[name])}`);
    process.exit(2);
  }
  return v;
};
const epochs = num('epochs', { integer: true });
const shift = num('shift', { integer: true, min: -1 });
const seconds = num('seconds');
const batch = num('batch', { integer: true });
const lr = num('lr');
const seed = num('seed', { integer: true, min: -1 });
const limit = args.limit === undefined ? undefined : num('limit', { integer: true });

await useBackend('wasm');
let images;
try {
  images = await import('@charlearn/data/images');
} catch (e) {
  console.error(`cannot import @charlearn/data/images (build packages/data first): ${e.message}`);
  process.exit(1);
}
const load = args.data === 'mnist' ? images.loadMnist : images.loadFashionMnist;
const t0 = performance.now();
const train = await load({ split: 'train', ...(limit ? { limit } : {}) });
const test = await load({ split: 'test' });
const pixels = 28 * 28;
for (const set of [train, test]) {
  if (set.shape.join() !== '28,28,1') throw new Error(`expected 28x28x1 images, got ${set.shape}`);
}
console.log(`${args.data}: ${train.count} train, ${test.count} test images (loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s); backend ${tf.getBackend()}`);

const init = initFeatureNetWeights(seed);
const params = Object.fromEntries(Object.entries(init).map(([k, { shape, values }]) => [k, tf.variable(tf.tensor(values, shape), true, `fnet/${k}`)]));
const optimizer = tf.train.adam(lr);
const rng = new Rng(seed);

/** A batch [b, 28, 28, 1] + labels [b] from the given indices, each image shifted by up to ±maxShift px (zero fill). */
function batchOf(set, idx, maxShift = 0) {
  const x = new Float32Array(idx.length * pixels);
  const y = new Int32Array(idx.length);
  idx.forEach((j, i) => {
    const src = set.images.subarray(j * pixels, (j + 1) * pixels);
    y[i] = set.labels[j];
    if (maxShift === 0) {
      x.set(src, i * pixels);
      return;
    }
    const dy = Math.floor(rng.uniform() * (2 * maxShift + 1)) - maxShift;
    const dx = Math.floor(rng.uniform() * (2 * maxShift + 1)) - maxShift;
    for (let r = Math.max(0, dy); r < Math.min(28, 28 + dy); r++) {
      for (let c = Math.max(0, dx); c < Math.min(28, 28 + dx); c++) x[i * pixels + r * 28 + c] = src[(r - dy) * 28 + (c - dx)];
    }
  });
  return [tf.tensor4d(x, [idx.length, 28, 28, 1]), tf.tensor1d(y, 'int32')];
}

function shuffled(n) {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

const snapshot = () => Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { shape: [...v.shape], values: Float32Array.from(v.dataSync()) }]));

function accuracy(set, net, max = set.count) {
  let correct = 0;
  const n = Math.min(max, set.count);
  for (let s = 0; s < n; s += 500) {
    const idx = Array.from({ length: Math.min(500, n - s) }, (_, i) => s + i);
    const [x, y] = batchOf(set, idx);
    const pred = net.classify(x).dataSync();
    const labels = y.dataSync();
    for (let i = 0; i < idx.length; i++) if (pred[i] === labels[i]) correct++;
    tf.dispose([x, y]);
  }
  return correct / n;
}

const stepsPerEpoch = Math.floor(train.count / batch);
const start = performance.now();
const elapsed = () => (performance.now() - start) / 1000;
let step = 0;
let epoch = 0;
let decayed = false;
let stop = false;
const leak0 = tf.memory().numTensors;
for (; epoch < epochs && !stop; epoch++) {
  const order = shuffled(train.count);
  let lossSum = 0;
  let lossCount = 0;
  for (let s = 0; s < stepsPerEpoch; s++) {
    if (!decayed && (elapsed() > 0.75 * seconds || step >= 0.75 * epochs * stepsPerEpoch)) {
      optimizer.learningRate = lr / 4;
      decayed = true;
      console.log(`  learning rate -> ${lr / 4} at step ${step}`);
    }
    const [x, y] = batchOf(train, order.slice(s * batch, (s + 1) * batch), shift);
    const loss = optimizer.minimize(() => featureNetLoss(featureNetForward(params, x).logits, y), true, Object.values(params));
    lossSum += loss.dataSync()[0];
    lossCount++;
    tf.dispose([x, y, loss]);
    step++;
    if (step % 25 === 0) {
      process.stdout.write(`\r  epoch ${epoch + 1} step ${s + 1}/${stepsPerEpoch}  loss ${(lossSum / lossCount).toFixed(4)}  ${((step * batch) / elapsed()).toFixed(0)} img/s  ${elapsed().toFixed(0)} s   `);
    }
    if (elapsed() > seconds) {
      stop = true;
      break;
    }
  }
  process.stdout.write('\n');
  console.log(`epoch ${epoch + 1}: mean loss ${(lossSum / Math.max(lossCount, 1)).toFixed(4)}, ${elapsed().toFixed(0)} s, tensors ${tf.memory().numTensors - leak0} above start (Adam slots)`);
}
const trainSeconds = elapsed();

const weights = snapshot();
const classNames = [...test.classNames];
const probe = new FeatureNet(weights, { dataset: args.data, classNames, testAccuracy: 0, testCount: 0, trainCount: 0, trainedAt: '', command: '' });
const testAccuracy = accuracy(test, probe);
const trainAccuracy = accuracy(train, probe, 2000);
probe.dispose();
console.log(`test accuracy ${(100 * testAccuracy).toFixed(2)}% on ${test.count} held-out images (train, first 2000: ${(100 * trainAccuracy).toFixed(2)}%)`);

const command = `node ${relative(process.cwd(), fileURLToPath(import.meta.url)) || 'train-feature-net.mjs'} ${process.argv.slice(2).join(' ')}`.trim();
const info = {
  dataset: args.data,
  classNames,
  testAccuracy,
  testCount: test.count,
  trainCount: train.count,
  trainedAt: new Date().toISOString(),
  command,
};
const bytes = encodeFeatureNet(weights, info);
await mkdir(args.out, { recursive: true });
const file = join(args.out, featureNetFileName(args.data));
const report = {
  name: `charlearn-${args.data}-cnn`,
  file: featureNetFileName(args.data),
  bytes: bytes.length,
  arch: FEATURE_NET_ARCH,
  ...info,
  trainAccuracyFirst2000: trainAccuracy,
  epochs: Number((step / stepsPerEpoch).toFixed(2)),
  steps: step,
  batch,
  shift,
  lr,
  seed,
  trainSeconds: Math.round(trainSeconds),
  processCpuSeconds: Math.round(process.cpuUsage().user / 1e6),
  backend: tf.getBackend(),
};
async function writeAtomic(path, data) {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
await writeAtomic(file, bytes);
await writeAtomic(file.replace(/\.bin$/, '.json'), JSON.stringify(report, null, 2) + '\n');
console.log(`wrote ${file} (${(bytes.length / 1024).toFixed(0)} KiB) and its .json; trained ${step} steps in ${trainSeconds.toFixed(0)} s`);
