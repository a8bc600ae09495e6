// node packages/cli/bench/fused-kernels.mjs [option ...] (after npm run build): A/B of @charlearn/backend-wasm's
// fused kernels on charlearn's steps. For each option named (default: fusedDense; any boolean WasmBackendOptions key,
// e.g. fusedAdam, fusedEdm; several joined by '+', e.g. simdGroupNorm+fusedSiluGrad, switch together), alternating blocks of BENCH_STEPS steps with the option on and off in one process
// (setupWasmBackend({ [option]: on })), the order swapped every round; a step's time is this process's CPU time
// (process.cpuUsage: on a shared machine other processes inflate it far less than the wall clock) and the wall time.
// Prints each round and the median ratios on/off. Steps (BENCH_WHICH, comma-separated, default teacher,distill): the
// teacher step (TeacherTrainer, MLP 2 -> 256x3 -> 2, batch 1024), the distillation step with pairs from the rollout
// cache, unet: the U-Net teacher step of the MNIST preset (batch 64, as in bench-torch), and sample: one-step sampling
// of the two-time MLP on 2,000 points (bench-torch's 'sample' row; the "step" is one sampleFlowMap call and its read).
// Env: BENCH_ROUNDS (default 6), BENCH_STEPS (default 6).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { getTarget } from '@charlearn/data';
import { createMlp, createNetwork } from '@charlearn/nets';
import { CharacteristicDistiller, characteristicMap, sampleFlowMap, TeacherTrainer } from '@charlearn/distill';
import { follmer, Rng } from '@charlearn/core';
import { setupWasmBackend } from '@charlearn/backend-wasm';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const STEPS = Number(process.env.BENCH_STEPS ?? 6);
const options = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (options.length === 0) options.push('fusedDense');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
await setupWasmBackend();
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const dataset = getTarget('swiss-roll');
const which = (process.env.BENCH_WHICH ?? 'teacher,distill').split(',');
const steps = [];
if (which.includes('teacher')) steps.push(['teacher step', new TeacherTrainer({ net: createMlp(MLP), dataset, config: { batchSize: 1024 } })]);
if (which.includes('distill')) {
  steps.push(['distillation step (rollout cache)', new CharacteristicDistiller({ teacher: createMlp(MLP), dataset, config: { batchSize: 1024, pairSource: 'rollout-cache' } })]);
}
if (which.includes('unet')) {
  const UNET = { kind: 'unet', sampleShape: [28, 28, 1], channels: 16, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [7], heads: 1, groups: 8, seed: 1 };
  const x1 = tf.tensor4d(Float32Array.from({ length: 64 * 28 * 28 }, (_, i) => Math.sin(i * 12.9898) * 0.999), [64, 28, 28, 1]);
  const images = { name: 'bench-images', sampleShape: [28, 28, 1], sigmaData: 1, sample: () => tf.clone(x1) };
  steps.push(['U-Net step (MNIST preset, batch 64)', new TeacherTrainer({ net: createNetwork(UNET), dataset: images, config: { batchSize: 64, eps0: 1e-5, eps1: 1e-5 } })]);
}
if (which.includes('sample')) {
  const g = characteristicMap(createMlp(MLP).toTwoTime(), follmer, 1);
  const z = new Rng(5).normalTensor([2000, 2]);
  const trainStep = () => {
    const x = sampleFlowMap(g, z, 1, { eps0: 1e-3, eps1: 1e-3 });
    x.dataSync();
    x.dispose();
  };
  steps.push(['one-step sampling (2,000 points)', { trainStep, dispose: () => z.dispose() }]);
}
const block = (trainer) => {
  const cpu = [];
  const wall = [];
  for (let i = 0; i < STEPS; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    trainer.trainStep();
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  return { cpu: median(cpu), wall: median(wall) };
};
for (const option of options) {
  for (const [label, trainer] of steps) {
    for (let i = 0; i < 3; i++) trainer.trainStep();
    const rc = [];
    const rw = [];
    const on = [];
    const off = [];
    for (let r = 0; r < ROUNDS; r++) {
      const ms = {};
      for (const value of r % 2 ? [false, true] : [true, false]) {
        await setupWasmBackend(Object.fromEntries(option.split('+').map((name) => [name, value])));
        trainer.trainStep(); // the first step after a switch is not timed
        ms[value] = block(trainer);
      }
      rc.push(ms.true.cpu / ms.false.cpu);
      rw.push(ms.true.wall / ms.false.wall);
      on.push(ms.true.cpu);
      off.push(ms.false.cpu);
      console.log(`${label}, ${option}: round ${r + 1}: on ${ms.true.cpu.toFixed(1)} ms CPU (${ms.true.wall.toFixed(1)} wall), off ${ms.false.cpu.toFixed(1)} ms CPU (${ms.false.wall.toFixed(1)} wall)`);
    }
    await setupWasmBackend(Object.fromEntries(option.split('+').map((name) => [name, true])));
    console.log(`${label}, ${option} on/off: CPU ${median(on).toFixed(1)} / ${median(off).toFixed(1)} ms, median ratio ${median(rc).toFixed(3)} (wall ${median(rw).toFixed(3)}) over ${ROUNDS} rounds, load ${os.loadavg()[0].toFixed(1)}`);
  }
}
for (const [, trainer] of steps) trainer.dispose();
