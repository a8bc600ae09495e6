// node plugins/backend-wasm/bench/unet-passes.mjs (after npm run build): the U-Net's elementwise and normalisation
// kernels with charlearn's SIMD passes on and off, alternating in one process (the order swapped every round), on the
// MNIST preset's shapes at batch 64: GroupNorm forward and backward (simdGroupNorm), the SiLU input gradient
// (fusedSiluGrad: the kernel against the op chain of five kernels it replaces), and the weight gradients of the 1x1
// skip convolutions, aᵀ @ b with k = 64·h·w (gemmLongInner: k-chunked against the one-pass GEMM). CPU time (process.cpuUsage), median over rounds of BENCH_REPS calls.
// Env: BENCH_ROUNDS (default 9), BENCH_REPS (default 5).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL, SILU_GRAD_KERNEL } from '@charlearn/core';
import { setupWasmBackend } from '@charlearn/backend-wasm';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
await setupWasmBackend();
const load0 = os.loadavg()[0];

/** [label, option, the call (returns tensors to free), its inputs]. */
const cases = [];
for (const shape of [[64, 28, 28, 16], [64, 28, 28, 48], [64, 14, 14, 32], [64, 7, 7, 32]]) {
  const c = shape[3];
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const [gamma, beta] = [tf.ones([c]), tf.zeros([c])];
  const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
  const s = tf.sigmoid(x);
  const [, xhat, rstd] = tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma, beta }, { groups: 8, epsilon: 1e-5 });
  const name = shape.join('x');
  cases.push([`GroupNorm ${name}`, 'simdGroupNorm', () => tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma, beta }, { groups: 8, epsilon: 1e-5 })]);
  cases.push([`GroupNormGrad ${name}`, 'simdGroupNorm', () => tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy, xhat, rstd, gamma }, { groups: 8 })]);
  cases.push([
    `SiLU gradient ${name}`,
    'fusedSiluGrad',
    (on) => (on ? tf.engine().runKernel(SILU_GRAD_KERNEL, { dy, x, s }) : tf.tidy(() => tf.mul(dy, tf.mul(s, tf.add(1, tf.mul(x, tf.sub(1, s))))))),
  ]);
}
for (const [k, m, n] of [[50176, 32, 16], [50176, 48, 16], [12544, 64, 32], [12544, 48, 32]]) {
  const a = tf.randomNormal([k, m], 0, 1, 'float32', 3);
  const b = tf.randomNormal([k, n], 0, 1, 'float32', 4);
  cases.push([`[${k},${m}]ᵀ @ [${k},${n}]`, 'gemmLongInner', () => tf.matMul(a, b, true, false)]);
}
const times = new Map(cases.map(([label]) => [label, { on: [], off: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const value of round % 2 ? [false, true] : [true, false]) {
    await setupWasmBackend({ simdGroupNorm: value, fusedSiluGrad: value, gemmLongInner: value });
    for (const [label, , call] of cases) {
      tf.dispose(call(value)); // warm
      const t0 = cpuMs();
      for (let i = 0; i < REPS; i++) tf.dispose(call(value));
      times.get(label)[value ? 'on' : 'off'].push((cpuMs() - t0) / REPS);
    }
  }
}
await setupWasmBackend();
console.log(`U-Net passes on wasm, ${os.cpus()[0]?.model.trim()}, load average ${load0.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end; ${ROUNDS} rounds x ${REPS} calls (CPU time, medians)`);
for (const [label, option] of cases) {
  const t = times.get(label);
  console.log(`  ${label.padEnd(34)} ${option.padEnd(17)} on ${median(t.on).toFixed(2)} ms, off ${median(t.off).toFixed(2)} ms: ${(median(t.off) / median(t.on)).toFixed(2)}x`);
}
