// images/eval: feature-net Fréchet distance, FD(charlearn-<data>-cnn), of the one-step generator and of the
// teacher (exponential integrator) at NFE 1, 5, 20 against the held-out test split; the data-vs-data floor.
//
//   npm run eval -w images            (after `npm run train -w images`; reads OUT, default out/images-<data>;
//                                      also evaluates OUT/onestep-<method>.ckpt from onestep.mjs when present)
//
// This is not Inception FID: the features are those of a small classifier trained in the project on the
// same data (`@charlearn/metrics`), so its numbers compare with each other, not with published FIDs.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend } from '@charlearn/core';
import '@charlearn/backend-wasm';
import { imageDataset } from '@charlearn/data';
import { loadFashionMnist, loadMnist } from '@charlearn/data/images';
import { CharacteristicDistiller, OneStepTrainer, TeacherTrainer, sampleTeacher } from '@charlearn/distill';
import { computeFD, featureNetStats, loadFeatureNet, writeImageGrid } from '@charlearn/metrics';
import { loadCheckpoint } from '@charlearn/distill/node';

const data = process.env.DATA ?? 'mnist';
const out = process.env.OUT ?? `out/images-${data}`;
const count = Number(process.env.N ?? 2000);
const chunk = 250;
await useBackend('wasm');

const load = data === 'mnist' ? loadMnist : loadFashionMnist;
const [train, test] = [await load({ split: 'train' }), await load({ split: 'test' })];
const dataset = imageDataset(train);
const featureNet = await loadFeatureNet(/** @type {'mnist' | 'fashion-mnist'} */ (data));
const n = Math.min(count, test.count);
/** @param {import('@charlearn/data').ImageSet} set @param {number} k */
const firstImages = (set, k) => tf.tensor4d(set.images.subarray(0, k * 784 * set.shape[2]), [k, ...set.shape]);
const testImages = firstImages(test, n);
const reference = featureNetStats(featureNet, testImages);
testImages.dispose();

const teacher = TeacherTrainer.fromCheckpoint(await loadCheckpoint(join(out, 'teacher.ckpt'), 'teacher'), dataset);
const distiller = CharacteristicDistiller.fromCheckpoint(await loadCheckpoint(join(out, 'generator.ckpt'), 'distill'), dataset);

/**
 * Generates `n` images in chunks (same noise for every sampler) and returns them as pixels in [0, 1].
 * @param {(z: tf.Tensor) => tf.Tensor} generate
 */
function generateImages(generate) {
  const rng = new Rng(2024);
  const parts = [];
  for (let done = 0; done < n; done += chunk) {
    const z = rng.normalTensor([Math.min(chunk, n - done), ...train.shape]);
    const x = generate(z);
    parts.push(tf.tidy(() => tf.clipByValue(dataset.toPixels(x), 0, 1)));
    tf.dispose([z, x]);
  }
  const all = tf.concat(parts, 0);
  tf.dispose(parts);
  return /** @type {tf.Tensor4D} */ (all);
}

/** @type {{ sampler: string, nfe: number, fd: number, metric: string, seconds: number }[]} */
const rows = [];
/** @param {string} sampler @param {number} nfe @param {(z: tf.Tensor) => tf.Tensor} generate */
async function measure(sampler, nfe, generate) {
  const t0 = Date.now();
  const images = generateImages(generate);
  const seconds = (Date.now() - t0) / 1000;
  const { fd, name } = computeFD(featureNet, images, reference);
  await writeImageGrid(join(out, `eval-${sampler.replace(/\W+/g, '-')}-nfe${nfe}.png`), tf.slice(images, 0, 100), { rows: 10, cols: 10, scale: 2 });
  images.dispose();
  rows.push({ sampler, nfe, fd, metric: name, seconds });
  console.log(`${sampler.padEnd(28)} NFE ${String(nfe).padStart(2)}  ${name} ${fd.toFixed(3)}  (${seconds.toFixed(1)} s to sample ${n})`);
}

const floorImages = firstImages(train, n);
const floor = computeFD(featureNet, floorImages, reference);
floorImages.dispose();
console.log(`data vs data (train vs test, ${n} each): ${floor.name} ${floor.fd.toFixed(3)}`);
for (const steps of [1, 2, 4]) await measure('characteristic generator', steps, (z) => distiller.sample(z, steps));
for (const method of ['drifting', 'drifting-conservative', 'wflow']) {
  const path = join(out, `onestep-${method}.ckpt`);
  if (!existsSync(path)) continue;
  const trainer = OneStepTrainer.fromCheckpoint(await loadCheckpoint(path, 'onestep'), dataset);
  await measure(`${method} (teacher-free)`, 1, (z) => trainer.sample(z));
  trainer.dispose();
}
for (const nfe of [1, 5, 20]) await measure('teacher, exp-integrator', nfe, (z) => sampleTeacher(teacher.fieldModel(), z, 'exp-integrator', nfe).x);
writeFileSync(join(out, 'fd.json'), JSON.stringify({ data, n, metric: floor.name, floor: floor.fd, rows }, null, 2) + '\n');
console.log(`\n| sampler | NFE | ${floor.name} |\n|---|---|---|`);
for (const r of rows) console.log(`| ${r.sampler} | ${r.nfe} | ${r.fd.toFixed(2)} |`);
console.log(`| data vs data (floor) | – | ${floor.fd.toFixed(2)} |`);
