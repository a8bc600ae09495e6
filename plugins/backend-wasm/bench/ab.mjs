// The A/B harness of this package's kernel benches (conv-gemm.mjs, copies.mjs, backfilter.mjs): a kernel option on
// against off, in this one process, alternating every round (order flipped each round) so that the machine's speed
// swings hit both alike; times are this process's CPU time (process.cpuUsage). Reported: per shape the median over
// rounds of each side's time, a throughput column and the median of the per-round ratios; then the whole U-Net MNIST
// training step (TeacherTrainer.trainStep(), bench-torch-worker.mjs's 'unet' row) with the option on and off.
//
// Env: BENCH_ROUNDS (default 9), BENCH_REPS (kernel calls a round, default 3), BENCH_STEP_ROUNDS (U-Net step rounds,
// default 7; 0 skips the step), BENCH_QUICK=1 (2 rounds of each, a smoke run).
// (imports @charlearn/nets and @charlearn/distill from the workspace for the step; they are not dependencies of this package)
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { createNetwork } from '@charlearn/nets';
import { TeacherTrainer } from '@charlearn/distill';

const QUICK = process.env.BENCH_QUICK === '1';

/** Rounds and repetitions from the environment, and the load average when the bench started. */
export const BENCH = Object.freeze({
  rounds: Number(process.env.BENCH_ROUNDS ?? (QUICK ? 2 : 9)),
  reps: Number(process.env.BENCH_REPS ?? (QUICK ? 1 : 3)),
  stepRounds: Number(process.env.BENCH_STEP_ROUNDS ?? (QUICK ? 2 : 7)),
  load0: os.loadavg()[0],
});

/** This process's CPU time in ms (user + system, all threads). */
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};

/** The upper median (the middle element of the sorted copy). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** A float32 tensor of `shape`, uniform in [-1, 1), from `seed`. */
export const rand = (shape, seed) => tf.randomUniform(shape, -1, 1, 'float32', seed);

/**
 * Runs every row's `run()` with the option on and off, alternating, {@link BENCH}.rounds rounds of
 * {@link BENCH}.reps calls; fills each row's `newMs`, `oldMs` (ms a call) and `ratio` (old / new) arrays.
 *
 * @param {Array<{ run: () => void; newMs: number[]; oldMs: number[]; ratio: number[] }>} rows
 * @param {(on: boolean) => Promise<unknown>} setKernel switches the option (on: the new kernel)
 */
export async function alternateRows(rows, setKernel) {
  for (const on of [true, false]) {
    await setKernel(on);
    for (const r of rows) r.run();
  }
  for (let round = 0; round < BENCH.rounds; round++) {
    for (const r of rows) {
      const t = {};
      for (const on of round % 2 ? [false, true] : [true, false]) {
        await setKernel(on);
        const t0 = cpuMs();
        for (let i = 0; i < BENCH.reps; i++) r.run();
        t[on] = (cpuMs() - t0) / BENCH.reps;
      }
      r.newMs.push(t.true);
      r.oldMs.push(t.false);
      r.ratio.push(t.false / t.true);
    }
  }
  await setKernel(true);
}

/**
 * Prints the per-shape table and the step's share: `work` is each row's amount in `unit` (GFLOP, GB), so the
 * throughput columns read `unit`/s.
 *
 * @param {{ title: string; firstColumn: string; unit: string; newLabel: string; oldLabel: string; stepLabel: string }} labels
 * @param {Array<{ label: string; calls: number; work: number; newMs: number[]; oldMs: number[]; ratio: number[] }>} rows
 */
export function printRows(labels, rows) {
  const { title, firstColumn, unit, newLabel, oldLabel, stepLabel } = labels;
  console.log(`${title} on wasm, ${os.cpus()[0]?.model.trim()}, load average ${BENCH.load0.toFixed(1)} at the start, ${BENCH.rounds} rounds x ${BENCH.reps} calls (CPU time, medians)`);
  console.log(`| ${firstColumn} | calls a step | ${unit} | ms, ${newLabel} | ${unit}/s | ms, ${oldLabel} | ${unit}/s | old / new (median of rounds) |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  let stepNew = 0;
  let stepOld = 0;
  for (const r of rows) {
    const a = median(r.newMs);
    const b = median(r.oldMs);
    stepNew += r.calls * a;
    stepOld += r.calls * b;
    console.log(`| ${r.label} | ${r.calls} | ${r.work.toFixed(3)} | ${a.toFixed(2)} | ${(r.work / (a / 1e3)).toFixed(1)} | ${b.toFixed(2)} | ${(r.work / (b / 1e3)).toFixed(1)} | ${median(r.ratio).toFixed(2)}x |`);
  }
  console.log(`${stepLabel}: ${stepNew.toFixed(1)} ms ${newLabel}, ${stepOld.toFixed(1)} ms ${oldLabel} (${(stepOld / stepNew).toFixed(2)}x)`);
}

/**
 * The U-Net MNIST training step (MNIST preset: 16 channels, [1, 2, 2], batch 64) with the option on and off,
 * alternating, {@link BENCH}.stepRounds rounds; prints the medians, the median per-round ratio and the tensors leaked.
 *
 * @param {(on: boolean) => Promise<unknown>} setKernel
 * @param {{ newLabel: string; oldLabel: string }} labels what the step runs with the option on / off
 */
export async function alternateUnetStep(setKernel, { newLabel, oldLabel }) {
  if (BENCH.stepRounds <= 0) return;
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
  for (let round = 0; round < BENCH.stepRounds; round++) {
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
    `U-Net MNIST training step (batch 64), ${BENCH.stepRounds} rounds: ${median(t.true).toFixed(0)} ms with ${newLabel}, ${median(t.false).toFixed(0)} ms with ${oldLabel}; ` +
      `old / new ${median(ratio).toFixed(3)}x (median of per-round ratios; range ${Math.min(...ratio).toFixed(3)}-${Math.max(...ratio).toFixed(3)}); ` +
      `tensors leaked: ${tf.memory().numTensors - before}; load average ${os.loadavg()[0].toFixed(1)} at the end`,
  );
  trainer.dispose();
  x1.dispose();
}
