// node packages/cli/bench/bench-replicas.mjs [teacher|unet] [--variant JSON]... (after npm run build): the teacher step on
// one thread against the same step on 2 data-parallel gradient replicas (startGradientReplicas), and against 2 replicas
// with other options (each --variant is startGradientReplicas options, e.g. '{"hostShare":0.52}' or '{"spinMs":2}'),
// alternating blocks of BENCH_STEPS steps in one process, the order changing every round (bench-threads.mjs's
// turnOrder). Prints each side's median block, its scaling (1 thread / that side, the median of per-round pairs, and
// the 90th percentile of those pairs: what a quiet moment gives) and the load average. Rows: teacher = MLP
// 2 -> 256x3 -> 2, batch 1024, swiss roll; unet = the MNIST preset's U-Net, batch 64, a fixed batch.
// Env: BENCH_ROUNDS (default 12 teacher / 4 unet), BENCH_STEPS (default 4 teacher / 1 unet).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { createMlp, createNetwork } from '@charlearn/nets';
import { TeacherTrainer, teacherGradientTask } from '@charlearn/distill';
import { startGradientReplicas } from '@charlearn/distill/node';
import { median, turnOrder } from './bench-threads.mjs';

const row = process.argv[2] === 'unet' ? 'unet' : 'teacher';
const variants = process.argv.flatMap((a, i) => (a === '--variant' ? [JSON.parse(process.argv[i + 1])] : []));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (row === 'teacher' ? 12 : 4));
const STEPS = Number(process.env.BENCH_STEPS ?? (row === 'teacher' ? 4 : 1));
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const UNET = { kind: 'unet', sampleShape: [28, 28, 1], channels: 16, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [7], heads: 1, groups: 8, seed: 1 };

/** 64 fixed images in [-1, 1] (as bench-torch-worker.mjs). */
function imageBatch() {
  const values = Float32Array.from({ length: 64 * 28 * 28 }, (_, i) => Math.sin(i * 12.9898) * 0.999);
  const x1 = tf.tensor4d(values, [64, 28, 28, 1]);
  return { name: 'bench-images', sampleShape: [28, 28, 1], sigmaData: 1, sample: () => tf.clone(x1) };
}

/** A side: a trainer of the row on one thread (`options` undefined) or on 2 replicas started with `options`. */
async function side(label, options) {
  const net = row === 'teacher' ? createMlp(MLP) : createNetwork(UNET);
  const dataset = row === 'teacher' ? getTarget('swiss-roll') : imageBatch();
  const gradients = options ? await startGradientReplicas({ replicas: 2, task: teacherGradientTask(net, 'follmer', dataset.sigmaData), ...options }) : undefined;
  const config = row === 'teacher' ? { batchSize: 1024, warmupSteps: 200 } : { batchSize: 64, warmupSteps: 200, eps0: 1e-5, eps1: 1e-5 };
  const trainer = new TeacherTrainer({ net, dataset, config, ...(gradients ? { gradients } : {}) });
  return { label, trainer, gradients, blocks: [] };
}

await useBackend('wasm');
const sides = [await side('1 thread'), await side('2 replicas', {}), ...(await Promise.all(variants.map((v) => side(`2 replicas ${JSON.stringify(v)}`, v))))];
for (const s of sides) for (let i = 0; i < (row === 'teacher' ? 3 : 1); i++) s.trainer.trainStep();
const block = (s) => {
  const ms = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    s.trainer.trainStep();
    ms.push(performance.now() - t0);
  }
  return median(ms);
};
const load0 = os.loadavg();
for (let r = 0; r < ROUNDS; r++) {
  for (const k of turnOrder(sides.length, r)) sides[k].blocks.push(block(sides[k]));
  console.log(`round ${r + 1}/${ROUNDS}: ${sides.map((s) => `${s.label} ${s.blocks.at(-1).toFixed(1)}`).join(', ')} ms`);
}
const load1 = os.loadavg();
const quantile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
console.log(`\n${row} step, ${ROUNDS} rounds of ${STEPS} steps; load average ${load0.map((x) => x.toFixed(1)).join(' ')} -> ${load1.map((x) => x.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
for (const s of sides) {
  const pairs = sides[0].blocks.map((b, i) => b / s.blocks[i]);
  console.log(`  ${s.label.padEnd(34)} median ${median(s.blocks).toFixed(1)} ms; scaling vs 1 thread: median ${median(pairs).toFixed(2)}x, p90 ${quantile(pairs, 0.9).toFixed(2)}x`);
}
for (const s of sides) await s.gradients?.close();
