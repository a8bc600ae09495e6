// charlearn's side of `bench-torch.mjs`: a long-lived worker that answers one JSON request a line on stdin with one
// JSON line on stdout (the protocol of bench_torch.py), so that the driver alternates both sides step by step.
//
//   {"row": "teacher", "steps": 5, "warmup": 2} -> {"row": "teacher", "ms": [...], "parameters": 153410}
//   {"row": "distill", ...}                      -> also "ns": the teacher step counts n its steps drew
//
// Rows (the library's own code paths, wasm backend, one thread unless --threads / --replicas say otherwise):
//   teacher  TeacherTrainer.trainStep(): MLP 2 -> 256x3 -> 2, SiLU, 64-d time embedding, batch 1024, swiss roll
//   distill  CharacteristicDistiller.trainStep() with its defaults at batch 1024 (teacher = that MLP), on-the-fly pairs
//   distill-cache  the same with pairs from the rollout cache (its default policy)
//   distill-cache-worker  the same with the rollout worker (startRolloutWorker: the next chunk solved on a worker thread)
//   sample   one-step sampling g(eps0, 1, z) of the two-time MLP, 2,000 points, read back
//   sample-replicas  the same on 2 sampling replicas (startSamplingReplicas' defaults: this thread and one worker thread,
//            a shard of 1,000 rows each, polling 2 ms before sleeping); -nospin: spinMs 0; -chunked: chunks of 500 rows
//            claimed in turn (chunksPerReplica 2)
//   unet     TeacherTrainer.trainStep() of the MNIST preset's U-Net (16 channels, [1, 2, 2], attention at 7), batch 64
//   e2e      the demo's pipeline (endToEnd below): {"row": "e2e", "config", "heldOut", "z", "every"}
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs-core';
import { configureWasmBackend, runningWasmThreads } from '@charlearn/backend-wasm';
import { follmer, Rng, useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { createMlp, createNetwork } from '@charlearn/nets';
import { CharacteristicDistiller, characteristicMap, sampleFlowMap, TeacherTrainer, teacherGradientTask } from '@charlearn/distill';
import { characteristicSamplingTask, startGradientReplicas, startRolloutWorker, startSamplingReplicas } from '@charlearn/distill/node';
import { exactW2 } from '@charlearn/metrics';
import { createRunNetwork, defaultRunConfig } from '@charlearn/cli';

// --threads N: the wasm backend's thread count (bench-threads.mjs runs one worker a count).
const threadsAt = process.argv.indexOf('--threads');
if (threadsAt > 0) configureWasmBackend({ threads: Number(process.argv[threadsAt + 1]) });
await useBackend('wasm');
// --replicas N: the teacher rows train data-parallel over N replicas (startGradientReplicas; bench-threads.mjs).
const replicasAt = process.argv.indexOf('--replicas');
const replicaCount = replicasAt > 0 ? Number(process.argv[replicasAt + 1]) : 1;
/** Gradient replicas for a teacher row's network, or undefined at one replica. */
const replicasFor = async (net, sigmaData) => (replicaCount > 1 ? startGradientReplicas({ replicas: replicaCount, task: teacherGradientTask(net, 'follmer', sigmaData) }) : undefined);
const withReplicas = (gradients) => (gradients ? { gradients } : {});

const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const UNET = { kind: 'unet', sampleShape: [28, 28, 1], channels: 16, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [7], heads: 1, groups: 8, seed: 1 };
const swissRoll = getTarget('swiss-roll');

/** A fixed batch of 64 images in [-1, 1] (the PyTorch side uses a fixed batch too). */
function imageBatch() {
  const values = Float32Array.from({ length: 64 * 28 * 28 }, (_, i) => Math.sin(i * 12.9898) * 0.999);
  const x1 = tf.tensor4d(values, [64, 28, 28, 1]);
  return { name: 'bench-images', sampleShape: [28, 28, 1], sigmaData: 1, sample: () => tf.clone(x1) };
}

/** The sampling replica rows: startSamplingReplicas' options at 2 replicas. */
const SAMPLING_REPLICA_ROWS = {
  'sample-replicas': {},
  'sample-replicas-nospin': { spinMs: 0 },
  'sample-replicas-chunked': { chunksPerReplica: 2 },
};

const rows = {};
async function row(name) {
  if (rows[name]) return rows[name];
  let r;
  if (name === 'teacher') {
    const net = createMlp(MLP);
    const gradients = await replicasFor(net, swissRoll.sigmaData);
    const trainer = new TeacherTrainer({ net, dataset: swissRoll, config: { batchSize: 1024, warmupSteps: 200 }, ...withReplicas(gradients) });
    r = { step: () => trainer.trainStep(), parameters: trainer.net.parameterCount() };
  } else if (name === 'distill' || name === 'distill-cache' || name === 'distill-cache-worker') {
    const teacher = createMlp(MLP);
    const pairSource = name === 'distill' ? 'on-the-fly' : 'rollout-cache';
    const distiller = new CharacteristicDistiller({ teacher, dataset: swissRoll, config: { batchSize: 1024, pairSource } });
    if (name === 'distill-cache-worker') await startRolloutWorker({ distiller, onError: (e) => console.error(`rollout worker: ${e.message}`) });
    r = { step: () => distiller.trainStep(), parameters: distiller.student.parameterCount() };
  } else if (name === 'sample' || name.startsWith('sample-replicas')) {
    const student = createMlp(MLP).toTwoTime();
    const z = new Rng(5).normalTensor([2000, 2]);
    const times = { eps0: 1e-3, eps1: 1e-3 };
    let draw;
    if (name === 'sample') {
      const g = characteristicMap(student, follmer, 1);
      draw = () => sampleFlowMap(g, z, 1, times);
    } else {
      const options = SAMPLING_REPLICA_ROWS[name];
      if (!options) throw new Error(`unknown row '${name}' (sampling replica rows: ${Object.keys(SAMPLING_REPLICA_ROWS).join(', ')})`);
      const replicas = await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(student, 'follmer', 1), ...options });
      draw = () => replicas.sample(student, z, 1, times);
    }
    r = {
      step: () => {
        const x = draw();
        x.dataSync();
        x.dispose();
      },
      parameters: student.parameterCount(),
    };
  } else if (name === 'unet') {
    const dataset = imageBatch();
    const net = createNetwork(UNET);
    const gradients = await replicasFor(net, dataset.sigmaData);
    const trainer = new TeacherTrainer({ net, dataset, config: { batchSize: 64, warmupSteps: 200, eps0: 1e-5, eps1: 1e-5 }, ...withReplicas(gradients) });
    r = { step: () => trainer.trainStep(), parameters: trainer.net.parameterCount() };
  } else {
    throw new Error(`unknown row '${name}'`);
  }
  rows[name] = r;
  return r;
}

/**
 * `charlearn demo`'s training with the library (the run config's network at its seed, teacher seed 0, distiller seed 1,
 * the swiss roll; the teacher on `req.replicas` gradient replicas and the rollout worker beside a rollout-cache
 * distillation, as the demo runs them): training seconds (steps only; the threads' start not counted) and the one-step
 * W2 of the EMA generator on `z` against `heldOut` every `every` distillation steps (evaluation not timed).
 */
async function endToEnd(req) {
  const target = getTarget('swiss-roll');
  const net = createRunNetwork(defaultRunConfig(), [2]);
  const gradients = req.replicas > 1 ? await startGradientReplicas({ replicas: req.replicas, task: teacherGradientTask(net, 'follmer', target.sigmaData) }) : undefined;
  const t0 = performance.now();
  const trainer = new TeacherTrainer({ net, dataset: target, config: req.config.teacher, seed: 0, ...withReplicas(gradients) });
  for (let i = 0; i < req.config.teacher.steps; i++) trainer.trainStep();
  const teacherSeconds = (performance.now() - t0) / 1000;
  await gradients?.close();
  const distiller = new CharacteristicDistiller({ teacher: trainer.ema.network, dataset: target, config: req.config.distill, seed: 1 });
  const rolloutWorker = req.config.distill.pairSource === 'rollout-cache' ? await startRolloutWorker({ distiller }) : undefined;
  const z = tf.tensor2d(req.z, [req.z.length / 2, 2]);
  const heldOut = Float32Array.from(req.heldOut);
  const marks = [];
  let seconds = teacherSeconds;
  for (let step = 1; step <= req.config.distill.steps; step++) {
    const t1 = performance.now();
    distiller.trainStep();
    seconds += (performance.now() - t1) / 1000;
    if (step % req.every === 0 || step === req.config.distill.steps) {
      const x = distiller.sample(z, 1);
      marks.push({ step, seconds, w2: exactW2(x.dataSync(), heldOut) });
      x.dispose();
    }
  }
  tf.dispose(z);
  await rolloutWorker?.close();
  distiller.dispose();
  trainer.dispose();
  return { teacherSeconds, marks };
}

const send = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
send({ ready: true, tfjs: tf.version_core, backend: tf.getBackend(), threads: await runningWasmThreads(), replicas: replicaCount });
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const req = JSON.parse(line);
  try {
    if (req.row === 'e2e') {
      send({ row: 'e2e', ...(await endToEnd(req)) });
      continue;
    }
    const r = await row(req.row);
    for (let i = 0; i < (req.warmup ?? 0); i++) r.step();
    const ms = [];
    const ns = [];
    const before = tf.memory().numTensors;
    for (let i = 0; i < req.steps; i++) {
      const t0 = performance.now();
      const stats = r.step();
      ms.push(performance.now() - t0);
      if (stats && typeof stats.teacherSteps === 'number') ns.push(stats.teacherSteps);
    }
    send({ row: req.row, ms, parameters: r.parameters, ...(ns.length ? { ns } : {}), leakedTensors: tf.memory().numTensors - before });
  } catch (e) {
    send({ row: req.row, error: String(e?.stack ?? e) });
  }
}
