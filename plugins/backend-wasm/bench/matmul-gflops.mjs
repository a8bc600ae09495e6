// GFLOP/s of the matrix products of a teacher step (MLP 2 -> 256x3 -> 2, 64-d time MLP, batch 1024) on wasm,
// forward and the two gradient forms, against the one-thread ceiling (~42 GFLOP/s, 128-bit SIMD), on three paths:
// charlearn's GEMM with relaxed SIMD's fused multiply-add (6 x 8 kernel, the default), the same without it (4 x 8,
// multiply then add: `relaxedSimd: false`) and the stock path (XNNPACK, `gemm: false`):
//
//   npm run build -w @charlearn/backend-wasm && node plugins/backend-wasm/bench/matmul-gflops.mjs
//
// Each product runs through tf.matMul (engine + kernel, what a training step pays) with a fresh right operand when
// the training step has one (gradients: dy, W^T), and with a fixed one when the step has one (forward: the weights,
// whose XNNPACK operator tfjs caches on the tensor id). Rows alternate (round-robin), so load from other processes
// hits them alike; times are this process's CPU time (process.cpuUsage), which the machine's load inflates far
// less than the wall clock. wasm kernels are synchronous: no read-back is timed. Env: BENCH_REPS (timed calls a row and round, default 20), BENCH_ROUNDS (default 5).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { setupWasmBackend } from '@charlearn/backend-wasm';

const REPS = Number(process.env.BENCH_REPS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CEILING = 42;
await setupWasmBackend();

const rand = (shape) => tf.randomUniform(shape, -1, 1, 'float32', 7);
/** CPU time of this process (ms): unlike the wall clock, not inflated by other processes' turns on the cores. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** [label, a shape, b shape, transposeA, transposeB, fresh b each call]. m,k,n from the shapes. */
const CASES = [
  ['fwd h W (256x256 hidden)', [1024, 256], [256, 256], false, false, false],
  ['fwd h W, fresh W each call', [1024, 256], [256, 256], false, false, true],
  ['dx = dy W^T (256x256)', [1024, 256], [256, 256], false, true, true],
  ['dW = h^T dy (256x256)', [1024, 256], [1024, 256], true, false, true],
  ['fwd temb 64->256', [1024, 64], [64, 256], false, false, false],
  ['dW temb/w1 = e^T dy (64x256)', [1024, 64], [1024, 256], true, false, true],
  ['fwd out 256->2', [1024, 256], [256, 2], false, false, false],
  ['dx out = dy W^T (2->256)', [1024, 2], [256, 2], false, true, true],
  ['dW out = h^T dy (256x2)', [1024, 256], [1024, 2], true, false, true],
];

const rows = CASES.map(([label, as, bs, tA, tB, fresh]) => {
  const a = rand(as);
  const b = rand(bs);
  const m = tA ? as[1] : as[0];
  const k = tA ? as[0] : as[1];
  const n = tB ? bs[0] : bs[1];
  const run = () => {
    // a fresh right operand is new data, as in a training step (tfjs caches XNNPACK's packed weights by the data's
    // id, which tf.clone shares; a multiply by 1 makes a copy, its cost measured and subtracted below)
    const bb = fresh ? tf.mul(b, 1) : b;
    const c = tf.matMul(a, bb, tA, tB);
    c.dispose();
    if (fresh) bb.dispose();
  };
  const clone = () => {
    const bb = tf.mul(b, 1);
    bb.dispose();
  };
  return { label, a, b, run, clone, fresh, gflop: (2 * m * k * n) / 1e9, ms: { fused: [], plain: [], stock: [] }, cloneMs: [] };
});

const ARMS = [
  { name: 'fused', options: { gemm: true, relaxedSimd: true } },
  { name: 'plain', options: { gemm: true, relaxedSimd: false } },
  { name: 'stock', options: { gemm: false } },
];
for (const r of rows) for (let i = 0; i < 3; i++) r.run();
for (let round = 0; round < ROUNDS; round++) {
  for (const r of rows) {
    // the three paths in turn, the order rotating by round
    for (let j = 0; j < ARMS.length; j++) {
      const arm = ARMS[(j + round) % ARMS.length];
      await setupWasmBackend(arm.options);
      r.run();
      const t0 = cpuMs();
      for (let i = 0; i < REPS; i++) r.run();
      r.ms[arm.name].push((cpuMs() - t0) / REPS);
    }
    await setupWasmBackend({ gemm: true });
    if (r.fresh) {
      const t0 = cpuMs();
      for (let i = 0; i < REPS; i++) r.clone();
      r.cloneMs.push((cpuMs() - t0) / REPS);
    }
  }
}

console.log(`wasm matMul on ${os.cpus()[0]?.model.trim()}, load average ${os.loadavg()[0].toFixed(1)}, ${ROUNDS} rounds x ${REPS} calls (median of rounds, CPU time); the copy making a fresh operand is subtracted`);
console.log('| product | GFLOP | ms, GEMM fused (6x8 FMA) | GFLOP/s | of the 42 GFLOP/s ceiling | ms, GEMM 4x8 mul+add | GFLOP/s | ms, stock (XNNPACK) | GFLOP/s |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
const total = { fused: 0, plain: 0, stock: 0 };
for (const r of rows) {
  const copy = r.fresh ? median(r.cloneMs) : 0;
  const ms = Object.fromEntries(ARMS.map(({ name }) => [name, median(r.ms[name]) - copy]));
  for (const { name } of ARMS) total[name] += ms[name];
  const gf = (name) => r.gflop / (ms[name] / 1e3);
  console.log(`| ${r.label} | ${r.gflop.toFixed(3)} | ${ms.fused.toFixed(3)} | ${gf('fused').toFixed(1)} | ${((100 * gf('fused')) / CEILING).toFixed(0)}% | ${ms.plain.toFixed(3)} | ${gf('plain').toFixed(1)} | ${ms.stock.toFixed(3)} | ${gf('stock').toFixed(1)} |`);
}
console.log(`all products: ${total.fused.toFixed(2)} ms fused, ${total.plain.toFixed(2)} ms 4x8 mul+add (${(total.plain / total.fused).toFixed(2)}x), ${total.stock.toFixed(2)} ms stock (${(total.stock / total.fused).toFixed(2)}x)`);
for (const r of rows) tf.dispose([r.a, r.b]);
