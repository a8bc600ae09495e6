// images/train: a teacher U-Net on MNIST (or Fashion-MNIST), distilled into a one-step characteristic
// generator g(t, s, x); checkpoints, sample grids and timings in OUT (default out/images-<data>).
//
//   npm run build && npm run train -w images                 # the documented run (docs/images.md)
//   DATA=fashion-mnist TEACHER_STEPS=200 DISTILL_STEPS=20 npm run train -w images   # a quick look
//   NET=dit TEACHER_STEPS=300 DISTILL_STEPS=0 OUT=out/images-dit npm run train -w images   # the DiT teacher alone
//
// Every phase checkpoints atomically and resumes: run the same command again after an interruption.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend } from '@charlearn/core';
import '@charlearn/backend-wasm';
import { imageDataset } from '@charlearn/data';
import { loadFashionMnist, loadMnist } from '@charlearn/data/images';
import { createNetwork } from '@charlearn/nets';
import { CharacteristicDistiller, TeacherTrainer, sampleTeacher } from '@charlearn/distill';
import { writeImageGrid } from '@charlearn/metrics';
import { loadCheckpoint, saveCheckpoint } from '@charlearn/distill/node';

const env = (/** @type {string} */ key, /** @type {string} */ fallback) => process.env[key] ?? fallback;
const data = env('DATA', 'mnist');
const out = env('OUT', `out/images-${data}`);
const teacherSteps = Number(env('TEACHER_STEPS', '1200'));
const distillSteps = Number(env('DISTILL_STEPS', '150'));
const batchSize = Number(env('BATCH', '64'));
const distillBatch = Number(env('DISTILL_BATCH', '32'));
const channels = Number(env('CHANNELS', '16'));
const gridSize = Number(env('GRID', '8'));
const semigroup = Number(env('SEMIGROUP', '0.1'));
const every = Number(env('CHECKPOINT_EVERY', '100'));
const netKind = env('NET', 'unet');
mkdirSync(out, { recursive: true });

await useBackend('wasm');
const set = data === 'mnist' ? await loadMnist({ split: 'train' }) : await loadFashionMnist({ split: 'train' });
const dataset = imageDataset(set);
console.log(`${set.name}: ${set.count} training images [${set.shape.join('x')}], sigma_data ${dataset.sigmaData.toFixed(4)}`);

/** @param {number} ms */
const minutes = (ms) => `${(ms / 60000).toFixed(1)} min`;
const timings = /** @type {Record<string, number>} */ ({});

// 1. Teacher: an EDM-preconditioned U-Net denoiser, denoiser matching on the Föllmer path.
const teacherPath = join(out, 'teacher.ckpt');
/** @type {import('@charlearn/nets').NetworkSpec} */
const spec =
  netKind === 'dit'
    ? { kind: 'dit', sampleShape: [...set.shape], patchSize: 4, hidden: Number(env('DIT_HIDDEN', '128')), depth: Number(env('DIT_DEPTH', '4')), heads: 4, mlpRatio: 4 }
    : { kind: 'unet', sampleShape: [...set.shape], channels, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [7], heads: 1, dropout: 0 };
const teacher = existsSync(teacherPath)
  ? TeacherTrainer.fromCheckpoint(await loadCheckpoint(teacherPath, 'teacher'), dataset)
  : new TeacherTrainer({ net: createNetwork(spec), dataset, seed: 0, config: { steps: teacherSteps, batchSize, lr: 1e-3, warmupSteps: 200, ema: 0.999 } });
const losses = /** @type {{ step: number, loss: number }[]} */ ([]);
console.log(`teacher: ${spec.kind} ${teacher.net.parameterCount()} parameters, batch ${batchSize}, from step ${teacher.step} to ${teacherSteps}`);
let t0 = Date.now();
const startStep = teacher.step;
while (teacher.step < teacherSteps) {
  const { loss } = teacher.trainStep();
  losses.push({ step: teacher.step, loss });
  if (teacher.step % 25 === 0 || teacher.step === 1) {
    const rate = (Date.now() - t0) / 1000 / (teacher.step - startStep);
    console.log(`teacher ${teacher.step}/${teacherSteps}  loss ${loss.toFixed(4)}  ${rate.toFixed(2)} s/step  tensors ${tf.memory().numTensors}`);
  }
  if (teacher.step % every === 0 || teacher.step === teacherSteps) await saveCheckpoint(teacherPath, teacher.checkpoint());
}
timings.teacherMs = Date.now() - t0;
timings.teacherStepsRun = teacher.step - startStep;

writeFileSync(join(out, 'teacher-losses.json'), JSON.stringify(losses) + '\n');

// 2. Distillation: g(t, s, x) starts as one teacher exponential-integrator step and learns the characteristics.
const generatorPath = join(out, 'generator.ckpt');
const distiller =
  distillSteps > 0
    ? existsSync(generatorPath)
      ? CharacteristicDistiller.fromCheckpoint(await loadCheckpoint(generatorPath, 'distill'), dataset)
      : new CharacteristicDistiller({
          teacher: teacher.ema.network,
          dataset,
          seed: 1,
          config: { steps: distillSteps, batchSize: distillBatch, lr: Number(env('DISTILL_LR', '3e-4')), warmupSteps: 20, ema: 0.99, gridSize, losses: { fit: 1, semigroup, ctm: 0, dsm: 0 } },
        })
    : null;
t0 = Date.now();
if (distiller) {
  console.log(`distillation: ${distiller.student.parameterCount()} parameters, grid ${gridSize}, batch ${distillBatch}, from step ${distiller.step} to ${distillSteps}`);
  const startDistill = distiller.step;
  while (distiller.step < distillSteps) {
    const s = distiller.trainStep();
    if (distiller.step % 10 === 0) {
      const rate = (Date.now() - t0) / 1000 / (distiller.step - startDistill);
      console.log(`distill ${distiller.step}/${distillSteps}  fit ${s.fit.toExponential(3)}  semi-group ${s.semigroup.toExponential(3)}  teacher NFE ${s.teacherNfe}  ${rate.toFixed(2)} s/step`);
    }
    if (distiller.step % Math.max(1, Math.floor(every / 4)) === 0 || distiller.step === distillSteps) await saveCheckpoint(generatorPath, distiller.checkpoint());
  }
  timings.distillStepsRun = distiller.step - startDistill;
}
timings.distillMs = Date.now() - t0;

// 3. Sample grids: the one-step generator beside the teacher (exponential integrator) at NFE 1, 5, 20.
const z = new Rng(123).normalTensor([100, ...set.shape]);
/** @param {string} name @param {tf.Tensor} x */
const grid = async (name, x) => {
  const pixels = dataset.toPixels(x);
  await writeImageGrid(join(out, `${name}.png`), pixels, { rows: 10, cols: 10, scale: 2 });
  tf.dispose([pixels, x]);
};
if (distiller) await grid('one-step', distiller.sample(z, 1));
for (const nfe of [1, 5, 20]) await grid(`teacher-nfe${nfe}`, sampleTeacher(teacher.fieldModel(), z, 'exp-integrator', nfe).x);
writeFileSync(join(out, 'train-timings.json'), JSON.stringify({ data, teacherSteps, distillSteps, batchSize, distillBatch, channels, gridSize, semigroup, ...timings }, null, 2) + '\n');
console.log(`teacher ${minutes(timings.teacherMs)}, distillation ${minutes(timings.distillMs)}; grids in ${out}`);
