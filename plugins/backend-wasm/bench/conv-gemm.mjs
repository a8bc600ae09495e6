// Conv2D and Conv2DBackpropInput on wasm: the GEMM convolution (kernels/conv2d-gemm.ts, default) against XNNPACK's
// (`gemmConv: false`), on every forward and input-gradient conv shape of the U-Net MNIST training step (MNIST preset:
// 16 channels, [1, 2, 2], batch 64, 3x3 'same'; calls = how many a step runs, logged from one profiled step), then
// on the whole step (TeacherTrainer.trainStep(), bench-torch-worker.mjs's 'unet' row):
//
//   npm run build && node plugins/backend-wasm/bench/conv-gemm.mjs   (or, in plugins/backend-wasm: npm run bench:convgemm)
//
// (imports @charlearn/nets and @charlearn/distill from the workspace for the step; they are not dependencies of this package)
//
// Both kernels run in this one process, alternating every round (order flipped each round), so that the machine's
// speed swings hit them alike; times are this process's CPU time (process.cpuUsage). Reported: per shape the
// median over rounds of each kernel's time, GFLOP/s (exact multiply-adds x 2, not the grid's padded count) and the
// median of the per-round ratios. Env: BENCH_ROUNDS (default 9), BENCH_REPS (kernel calls a round, default 3),
// BENCH_STEP_ROUNDS (U-Net step rounds, default 7; 0 skips the step), BENCH_QUICK=1 (2 rounds of each, a smoke run).
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

/** [kernel, x (forward) or dx (input gradient) shape, filter shape, calls a U-Net step]: logged from one profiled step. */
const SHAPES = [
  ['Conv2D', [64, 28, 28, 1], [3, 3, 1, 16], 1],
  ['Conv2D', [64, 28, 28, 16], [3, 3, 16, 16], 4],
  ['Conv2D', [64, 28, 28, 32], [3, 3, 32, 16], 1],
  ['Conv2D', [64, 28, 28, 48], [3, 3, 48, 16], 1],
  ['Conv2D', [64, 28, 28, 16], [3, 3, 16, 1], 1],
  ['Conv2D', [64, 14, 14, 16], [3, 3, 16, 32], 1],
  ['Conv2D', [64, 14, 14, 32], [3, 3, 32, 32], 3],
  ['Conv2D', [64, 14, 14, 48], [3, 3, 48, 32], 1],
  ['Conv2D', [64, 14, 14, 64], [3, 3, 64, 32], 1],
  ['Conv2D', [64, 7, 7, 32], [3, 3, 32, 32], 8],
  ['Conv2D', [64, 7, 7, 64], [3, 3, 64, 32], 2],
  ['Conv2DBackpropInput', [64, 28, 28, 16], [3, 3, 16, 16], 4],
  ['Conv2DBackpropInput', [64, 28, 28, 32], [3, 3, 32, 16], 1],
  ['Conv2DBackpropInput', [64, 28, 28, 48], [3, 3, 48, 16], 1],
  ['Conv2DBackpropInput', [64, 28, 28, 16], [3, 3, 16, 1], 1],
  ['Conv2DBackpropInput', [64, 14, 14, 16], [3, 3, 16, 32], 1],
  ['Conv2DBackpropInput', [64, 14, 14, 32], [3, 3, 32, 32], 3],
  ['Conv2DBackpropInput', [64, 14, 14, 48], [3, 3, 48, 32], 1],
  ['Conv2DBackpropInput', [64, 14, 14, 64], [3, 3, 64, 32], 1],
  ['Conv2DBackpropInput', [64, 7, 7, 32], [3, 3, 32, 32], 8],
  ['Conv2DBackpropInput', [64, 7, 7, 64], [3, 3, 64, 32], 2],
];

await setupWasmBackend();
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rand = (shape, seed) => tf.randomUniform(shape, -1, 1, 'float32', seed);
const setKernel = (on) => setupWasmBackend({ gemmConv: on });

const rows = SHAPES.map(([kernel, xs, ws, calls], i) => {
  const filter = rand(ws, 2 * i + 2);
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, inputShape: xs };
  const input = kernel === 'Conv2D' ? { x: rand(xs, 2 * i + 1), filter } : { dy: rand([...xs.slice(0, 3), ws[3]], 2 * i + 1), filter };
  const run = () => tf.engine().runKernel(kernel, input, attrs).dispose();
  const gflop = (2 * xs[0] * xs[1] * xs[2] * ws[0] * ws[1] * ws[2] * ws[3]) / 1e9;
  return { label: `${kernel} ${kernel === 'Conv2D' ? 'x' : 'dx'} [${xs}] W [${ws}]`, calls, tensors: [...Object.values(input)], run, gflop, newMs: [], oldMs: [], ratio: [] };
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

console.log(`Conv2D / Conv2DBackpropInput on wasm, ${os.cpus()[0]?.model.trim()}, load average ${load0.toFixed(1)} at the start, ${ROUNDS} rounds x ${REPS} calls (CPU time, medians)`);
console.log('| kernel, shape | calls a step | GFLOP | ms, GEMM | GFLOP/s | ms, XNNPACK | GFLOP/s | old / new (median of rounds) |');
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
console.log(`a U-Net step's convolutions and input gradients: ${stepNew.toFixed(1)} ms GEMM, ${stepOld.toFixed(1)} ms XNNPACK (${(stepOld / stepNew).toFixed(2)}x)`);
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
    `U-Net MNIST training step (batch 64), ${STEP_ROUNDS} rounds: ${median(t.true).toFixed(0)} ms with the GEMM convolution, ${median(t.false).toFixed(0)} ms with XNNPACK's; ` +
      `old / new ${median(ratio).toFixed(3)}x (median of per-round ratios; range ${Math.min(...ratio).toFixed(3)}-${Math.max(...ratio).toFixed(3)}); ` +
      `tensors leaked: ${tf.memory().numTensors - before}; load average ${os.loadavg()[0].toFixed(1)} at the end`,
  );
  trainer.dispose();
  x1.dispose();
}
