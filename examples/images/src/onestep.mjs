// images/onestep: a teacher-free one-step generator on MNIST (drifting, conservative drifting or W-Flow), the
// same U-Net as the teacher of train.mjs, trained directly on data; eval.mjs then reports its FD beside the
// characteristic generator's.
//
//   METHOD=drifting STEPS=200 npm run onestep -w images      (writes OUT/onestep-<method>.ckpt and a grid)
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend } from '@charlearn/core';
import '@charlearn/backend-wasm';
import { imageDataset } from '@charlearn/data';
import { loadFashionMnist, loadMnist } from '@charlearn/data/images';
import { createNetwork } from '@charlearn/nets';
import { OneStepTrainer } from '@charlearn/distill';
import { writeImageGrid } from '@charlearn/metrics';
import { loadCheckpoint, saveCheckpoint } from '@charlearn/distill/node';

const env = (/** @type {string} */ key, /** @type {string} */ fallback) => process.env[key] ?? fallback;
const data = env('DATA', 'mnist');
const out = env('OUT', `out/images-${data}`);
const method = env('METHOD', 'drifting');
const steps = Number(env('STEPS', '200'));
const batchSize = Number(env('BATCH', '64'));
const channels = Number(env('CHANNELS', '16'));

await useBackend('wasm');
const set = data === 'mnist' ? await loadMnist({ split: 'train' }) : await loadFashionMnist({ split: 'train' });
const dataset = imageDataset(set);
const path = join(out, `onestep-${method}.ckpt`);
/** @type {import('@charlearn/nets').NetworkSpec} */
const spec = { kind: 'unet', sampleShape: [...set.shape], channels, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [7], heads: 1, dropout: 0 };
const trainer = existsSync(path)
  ? OneStepTrainer.fromCheckpoint(await loadCheckpoint(path, 'onestep'), dataset)
  : new OneStepTrainer({ objective: method, net: createNetwork(spec), dataset, seed: 0, config: { steps, batchSize, lr: Number(env('LR', '1e-3')), warmupSteps: 20, ema: 0.99 } });
console.log(`${method}: U-Net ${trainer.net.parameterCount()} parameters, batch ${batchSize}, from step ${trainer.step} to ${steps}`);
const t0 = Date.now();
const start = trainer.step;
while (trainer.step < steps) {
  const s = trainer.trainStep();
  if (trainer.step % 10 === 0) console.log(`${method} ${trainer.step}/${steps}  loss ${s.loss.toExponential(3)}  ${((Date.now() - t0) / 1000 / (trainer.step - start)).toFixed(2)} s/step`);
  if (trainer.step % 50 === 0 || trainer.step === steps) await saveCheckpoint(path, trainer.checkpoint());
}
const z = new Rng(123).normalTensor([100, ...set.shape]);
const x = trainer.sample(z);
const pixels = dataset.toPixels(x);
await writeImageGrid(join(out, `onestep-${method}.png`), pixels, { rows: 10, cols: 10, scale: 2 });
tf.dispose([z, x, pixels]);
writeFileSync(join(out, `onestep-${method}-timings.json`), JSON.stringify({ method, steps, batchSize, channels, ms: Date.now() - t0, stepsRun: trainer.step - start }, null, 2) + '\n');
console.log(`${method}: ${((Date.now() - t0) / 60000).toFixed(1)} min; grid in ${out}`);
