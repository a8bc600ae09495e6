// Concat and SplitV on wasm: the heap copies (kernels/copies.ts, default) against stock wasm's (`fastCopies: false`),
// on the U-Net MNIST training step's largest last-axis concats and splits (logged from one profiled step), then on the
// whole step (TeacherTrainer.trainStep(), as bench/conv-gemm.mjs):
//
//   npm run build && node plugins/backend-wasm/bench/copies.mjs   (or, in plugins/backend-wasm: npm run bench:copies)
//
// Alternating in one process, CPU time, medians; env as bench/conv-gemm.mjs (BENCH_ROUNDS, BENCH_REPS,
// BENCH_STEP_ROUNDS, BENCH_QUICK) and BENCH_AGAINST (below).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { setupWasmBackend } from '@charlearn/backend-wasm';
import { createNetwork } from '@charlearn/nets';
import { TeacherTrainer } from '@charlearn/distill';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 2 : 9));
const REPS = Number(process.env.BENCH_REPS ?? (QUICK ? 1 : 3));
const STEP_ROUNDS = Number(process.env.BENCH_STEP_ROUNDS ?? (QUICK ? 2 : 7));
const load0 = os.loadavg()[0];

/** [kernel, input shapes, split sizes, calls a U-Net step]. */
const SHAPES = [
  ['Concat', [[64, 28, 28, 16], [64, 28, 28, 16]], null, 1],
  ['Concat', [[64, 28, 28, 32], [64, 28, 28, 16]], null, 1],
  ['Concat', [[64, 14, 14, 32], [64, 14, 14, 16]], null, 1],
  ['SplitV', [[64, 28, 28, 48]], [32, 16], 1],
  ['SplitV', [[64, 28, 28, 32]], [16, 16], 1],
  ['SplitV', [[64, 14, 14, 64]], [32, 32], 1],
];

await setupWasmBackend();
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rand = (shape, seed) => tf.randomUniform(shape, -1, 1, 'float32', seed);
// BENCH_AGAINST=copyWithin: the wasm row copier (wasmRowCopies, the default) against a copyWithin a row
// (wasmRowCopies: false), both heap copies; the "stock" columns are then the copyWithin path.
const againstCopyWithin = process.env.BENCH_AGAINST === 'copyWithin';
const setKernel = (on) => setupWasmBackend(againstCopyWithin ? { fastCopies: true, wasmRowCopies: on } : { fastCopies: on });

const rows = SHAPES.map(([kernel, shapes, sizes, calls], i) => {
  const tensors = shapes.map((s, j) => rand(s, 2 * i + j + 1));
  const run = () =>
    kernel === 'Concat'
      ? tf.engine().runKernel('Concat', tensors, { axis: 3 }).dispose()
      : tf.dispose(tf.engine().runKernel('SplitV', { x: tensors[0] }, { numOrSizeSplits: sizes, axis: 3 }));
  const gflop = tensors.reduce((a, t) => a + t.size, 0) * 4 / 1e9; // GB moved one way
  return { label: `${kernel} [${shapes.map((s) => `[${s}]`).join(', ')}]${sizes ? ` -> [${sizes}]` : ''}`, calls, tensors, run, gflop, newMs: [], oldMs: [], ratio: [] };
});

for (const on of [true, false]) {
  await setKernel(on);
  for (const r of rows) r.run();
}
for (let round = 0; round < ROUNDS; round++) {
  for (const r of rows) {
    const t = {};
    for (const on of round % 2 ? [false, true] : [true, false]) {
      await setKernel(on);
      const t0 = cpuMs();
      for (let i = 0; i < REPS; i++) r.run();
      t[on] = (cpuMs() - t0) / REPS;
    }
    r.newMs.push(t.true);
    r.oldMs.push(t.false);
    r.ratio.push(t.false / t.true);
  }
}
await setKernel(true);

console.log(`Concat / SplitV on wasm, ${os.cpus()[0]?.model.trim()}, load average ${load0.toFixed(1)} at the start, ${ROUNDS} rounds x ${REPS} calls (CPU time, medians)`);
console.log('| kernel, shape | calls a step | GB read | ms, heap copies | GB/s | ms, stock | GB/s | old / new (median of rounds) |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
let stepNew = 0;
let stepOld = 0;
for (const r of rows) {
  const a = median(r.newMs);
  const b = median(r.oldMs);
  stepNew += r.calls * a;
  stepOld += r.calls * b;
  console.log(`| ${r.label} | ${r.calls} | ${r.gflop.toFixed(3)} | ${a.toFixed(2)} | ${(r.gflop / (a / 1e3)).toFixed(1)} | ${b.toFixed(2)} | ${(r.gflop / (b / 1e3)).toFixed(1)} | ${median(r.ratio).toFixed(2)}x |`);
}
console.log(`these calls of a U-Net step: ${stepNew.toFixed(1)} ms heap copies, ${stepOld.toFixed(1)} ms stock (${(stepOld / stepNew).toFixed(2)}x)`);
for (const r of rows) tf.dispose(r.tensors);

if (STEP_ROUNDS > 0) {
  const UNET = { kind: 'unet', sampleShape: [28, 28, 1], channels: 16, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [7], heads: 1, groups: 8, seed: 1 };
  const values = Float32Array.from({ length: 64 * 28 * 28 }, (_, i) => Math.sin(i * 12.9898) * 0.999);
  const x1 = tf.tensor4d(values, [64, 28, 28, 1]);
  const dataset = { name: 'bench-images', sampleShape: [28, 28, 1], sigmaData: 1, sample: () => tf.clone(x1) };
  const trainer = new TeacherTrainer({ net: createNetwork(UNET), dataset, config: { batchSize: 64, warmupSteps: 200, eps0: 1e-5, eps1: 1e-5 } });
  for (const on of [true, false]) {
    await setKernel(on);
    trainer.trainStep();
  }
  const t = { true: [], false: [] };
  const ratio = [];
  const before = tf.memory().numTensors;
  for (let round = 0; round < STEP_ROUNDS; round++) {
    const ms = {};
    for (const on of round % 2 ? [false, true] : [true, false]) {
      await setKernel(on);
      const t0 = cpuMs();
      trainer.trainStep();
      ms[on] = cpuMs() - t0;
      t[on].push(ms[on]);
    }
    ratio.push(ms.false / ms.true);
  }
  await setKernel(true);
  console.log(
    `U-Net MNIST training step (batch 64), ${STEP_ROUNDS} rounds: ${median(t.true).toFixed(0)} ms with the heap copies, ${median(t.false).toFixed(0)} ms with stock Concat / SplitV; ` +
      `old / new ${median(ratio).toFixed(3)}x (median of per-round ratios; range ${Math.min(...ratio).toFixed(3)}-${Math.max(...ratio).toFixed(3)}); ` +
      `tensors leaked: ${tf.memory().numTensors - before}; load average ${os.loadavg()[0].toFixed(1)} at the end`,
  );
  trainer.dispose();
  x1.dispose();
}
